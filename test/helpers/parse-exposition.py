"""Parses a metrics exposition from stdin with the official Prometheus Python client's parsers
and prints its samples as JSON. argv[1]: "text" (Prometheus text format 0.0.4) or "openmetrics".
A parse error exits 1 with the parser's message."""
import json
import math
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text


def number(v):
    return str(v) if math.isinf(v) or math.isnan(v) else v


def main():
    parse = parse_openmetrics if sys.argv[1] == "openmetrics" else parse_text
    families = []
    try:
        for family in parse(sys.stdin.read()):
            families.append({
                "name": family.name,
                "type": family.type,
                "help": family.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": number(s.value)} for s in family.samples],
            })
    except Exception as error:  # the parser's own message is the point
        print(f"parse error: {error}", file=sys.stderr)
        sys.exit(1)
    json.dump(families, sys.stdout)


main()
