"""Dataset validation for fine-tuning: format rules, exact token counts, statistics and a
cost estimate, in one streaming pass. See validator.validate_stream."""

from tuning.validation.issues import Issue
from tuning.validation.report import ValidationReport
from tuning.validation.validator import validate_path, validate_stream

__all__ = ["Issue", "ValidationReport", "validate_path", "validate_stream"]
