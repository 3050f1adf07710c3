"""Reports: Table 1 and Table 2 style tables from lm-eval results and samples."""
