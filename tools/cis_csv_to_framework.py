"""Write (or refresh) a framework file from a CIS control list CSV.

    python tools/cis_csv_to_framework.py ../shared/reference/cis/cis_eks.csv \
        --id cis-eks-1.8 --provider aws --title "CIS Amazon EKS Benchmark"

Columns read: control_id, title, section ("2 Control Plane > 2.1 Logging"),
assessment, in_scope, benchmark_version. Rule lists already in the output
file are kept, so a new CIS version refreshes titles without losing mappings.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

import yaml

FRAMEWORKS = Path(__file__).resolve().parent.parent / "posture" / "rules" / "frameworks"


def split_section(part: str) -> tuple[str, str]:
    section_id, _, title = part.strip().partition(" ")
    return section_id, title.strip()


def build(rows: list[dict[str, str]], existing: dict[str, list[str]]) -> list[dict]:
    roots: list[dict] = []
    index: dict[str, dict] = {}
    for row in rows:
        siblings = roots
        section = None
        for part in row["section"].split(">"):
            sid, title = split_section(part)
            section = index.get(sid)
            if section is None:
                section = {"id": sid, "title": title, "controls": [], "sections": []}
                index[sid] = section
                siblings.append(section)
            siblings = section["sections"]
        control = {"id": row["control_id"], "title": row["title"].strip(), "assessment": row["assessment"].strip()}
        if row.get("in_scope", "yes").strip() == "no":
            control["in_scope"] = False
        control["rules"] = existing.get(row["control_id"], [])
        section["controls"].append(control)

    def tidy(sections: list[dict]) -> None:
        for s in sections:
            if not s["sections"]:
                del s["sections"]
            else:
                tidy(s["sections"])
            if not s["controls"]:
                del s["controls"]

    tidy(roots)
    return roots


def existing_rules(path: Path) -> dict[str, list[str]]:
    if not path.exists():
        return {}
    found: dict[str, list[str]] = {}

    def walk(sections: list[dict]) -> None:
        for s in sections or []:
            for c in s.get("controls") or []:
                found[str(c["id"])] = list(c.get("rules") or [])
            walk(s.get("sections") or [])

    walk(yaml.safe_load(path.read_text()).get("sections"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path)
    parser.add_argument("--id", required=True)
    parser.add_argument("--provider", required=True)
    parser.add_argument("--title", required=True)
    args = parser.parse_args()
    rows = list(csv.DictReader(args.csv.open()))
    version = re.search(r"v(\d+(?:\.\d+)*)", rows[0]["benchmark_version"]).group(1)
    out = FRAMEWORKS / f"{args.id}.yaml"
    doc = {
        "id": args.id,
        "title": args.title,
        "version": version,
        "provider": args.provider,
        "description": f"{rows[0]['benchmark_version']}. Controls and assessments as CIS labels them.",
        "sections": build(rows, existing_rules(out)),
    }
    out.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120))
    print(f"wrote {out} ({len(rows)} controls)")


if __name__ == "__main__":
    main()
