"""Reports: pure functions from traces to frames, tables and figures."""
