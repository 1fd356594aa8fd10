"""`python -m tuning.reports > report.schema.json`: print the JSON Schema of report.json."""

import json

from tuning.reports.model import report_json_schema

print(json.dumps(report_json_schema(), indent=2, sort_keys=True))
