"""What lab writes, shared by every layer above: terminal tables and progress, markdown, figures,
provenance, and output folders written atomically. Imports nothing of lab but its errors."""
