"""Pure functions of a trace and its counts: the analysis of one model, memory, training
memory, published-vs-computed, comparison, and the metric catalog."""
