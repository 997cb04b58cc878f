"""Reads pip-audit's JSON report and decides CI's verdict (see .ci/audit).

Exit 0: audited, nothing found; or nothing could be audited because the vulnerability service was
unreachable (said in capitals: the audit did NOT happen). Exit 1: a finding, or any other failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# pip-audit's words for a package its service could not look up (PyPI's JSON API answering 404 or
# not at all); every dependency skipped this way means the service is out of reach, not that
# these packages are unknown.
UNREACHABLE = "Dependency not found on PyPI and could not be audited"


def main(report_path: str, status: str, stderr_path: str) -> int:
    report = Path(report_path)
    if not report.exists() or not report.read_text().strip():
        print(f"pip-audit failed (exit {status}) without a report:", file=sys.stderr)
        print(Path(stderr_path).read_text()[-3000:], file=sys.stderr)
        return 1
    dependencies = json.loads(report.read_text())["dependencies"]
    findings = [(d["name"], d["version"], v) for d in dependencies for v in d.get("vulns", [])]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    if findings:
        print(f"pip-audit: {len(findings)} known vulnerabilities in the pinned versions:")
        for name, version, vuln in findings:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix released"
            print(f"  {name} {version}: {vuln['id']} {' '.join(vuln.get('aliases', []))} (fixed in: {fixes})")
        print("Upgrade, or add it to README 'Known advisories' with why it is not reachable and pass --ignore-vuln.")
        return 1
    if audited == 0 and skipped and all(d["skip_reason"].startswith(UNREACHABLE) for d in skipped):
        print(
            f"pip-audit: AUDIT NOT PERFORMED — the vulnerability service (PyPI's JSON API) is unreachable "
            f"from this machine: all {len(skipped)} dependencies were skipped. Tolerated; run .ci/audit "
            "where pypi.org is reachable before a release. README 'Known advisories' lists the ones we know of."
        )
        return 0
    if status not in ("0", ""):
        print(f"pip-audit failed (exit {status}):", file=sys.stderr)
        print(Path(stderr_path).read_text()[-3000:], file=sys.stderr)
        return 1
    print(f"pip-audit: no known vulnerabilities in {audited} audited dependencies ({len(skipped)} skipped).")
    for d in skipped:
        print(f"  skipped {d['name']}: {d['skip_reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
