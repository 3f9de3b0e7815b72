"""Studies of where each way of differentiating breaks, each a result object the report renders."""
