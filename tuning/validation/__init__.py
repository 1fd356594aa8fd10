"""Dataset validation for fine-tuning: format rules, exact token counts, special tokens, per-model
rules, duplicates and leakage, a secrets and personal-data scan, statistics and a cost estimate,
in one streaming pass per file. See validator.validate_stream and validator.validate_files; the
rule table is in README.md beside this file."""

from tuning.validation.charts import render_length_histogram
from tuning.validation.issues import Issue
from tuning.validation.report import ValidationReport
from tuning.validation.scanning import DATA_SCAN_MODES, DataScan
from tuning.validation.validator import DatasetSource, validate_files, validate_path, validate_stream

__all__ = [
    "DATA_SCAN_MODES",
    "DataScan",
    "DatasetSource",
    "Issue",
    "ValidationReport",
    "render_length_histogram",
    "validate_files",
    "validate_path",
    "validate_stream",
]
