"""The lab in other projects' formats: gradbench's protocol (`gradbench_evals` reads its inputs,
`gradbench_tool` serves the lab's backends as a gradbench tool, `gradbench_log` re-checks a
gradbench log against the certified reference)."""
