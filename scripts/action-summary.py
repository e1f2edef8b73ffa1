#!/usr/bin/env python3
"""The job summary of one `agent chat --no-interactive --output-format json` run:
a Markdown table (status, exit code, iterations, checks, files changed, refusals,
model use), then the last iteration's checks, the files, the refusals and the
answer. Usage: action-summary.py RESULT.json EXIT_CODE (prints the Markdown)."""

import json
import sys

EXIT_MEANINGS = {
    "0": "success",
    "1": "run-time failure",
    "2": "usage error or invalid agent file",
    "3": "an MCP server failed to start",
    "4": "the goal was not met",
    "5": "a run limit stopped the run",
    "6": "the model looped",
    "130": "interrupted",
}


def cell(text):
    """Text safe inside a table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text):
    return "`" + cell(text).replace("`", "'") + "`"


def checks_line(checks):
    marks = []
    for check in checks:
        passed = check.get("exit_code") == 0
        marks.append(f"{code(check.get('command', ''))} {'pass' if passed else 'FAIL'}")
    return ", ".join(marks) or "none"


def table(result, goal, exit_code):
    status = goal["status"] if goal else result.get("stop_reason", "unknown")
    rows = [
        ("status", f"**{status}**"),
        ("exit code", f"{exit_code} ({EXIT_MEANINGS.get(exit_code, 'see src/exit.rs')})"),
    ]
    if goal:
        last = goal["iterations"][-1]["checks"] if goal.get("iterations") else []
        files = goal.get("files_changed", [])
        rows += [
            ("iterations", f"{goal.get('iterations_used', 0)} of {goal.get('max_iterations', 0)}"),
            ("checks", checks_line(last) if last else ", ".join(map(code, goal.get("checks", []))) or "none"),
            ("files changed", str(len(files))),
            ("refusals", str(len(goal.get("refused", [])))),
        ]
    else:
        rows.append(("refusals", str(len(result.get("permission_denials", [])))))
    usage = result.get("usage") or {}
    rows.append((
        "model",
        f"{usage.get('requests', 0)} requests, {usage.get('input_tokens', 0)} tokens in, "
        f"{usage.get('output_tokens', 0)} out",
    ))
    lines = ["| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return lines, status


def details(result, goal):
    lines = []
    if goal and goal.get("iterations"):
        lines += ["", "### Checks", "", "| iteration | check | exit |", "|---|---|---|"]
        for iteration in goal["iterations"]:
            for check in iteration["checks"]:
                exit_code = check.get("exit_code")
                lines.append(
                    f"| {iteration['number']} | {code(check['command'])} | "
                    f"{'killed' if exit_code is None else exit_code} |"
                )
    files = (goal or {}).get("files_changed", [])
    if files:
        lines += ["", "### Files changed", "", "| file | added | removed |", "|---|---|---|"]
        lines += [f"| {code(f['path'])} | {f['added']} | {f['removed']} |" for f in files]
    refusals = [(r["what"], r["reason"]) for r in (goal or {}).get("refused", [])]
    if not goal:
        refusals = [
            (f"{d.get('tool')} {json.dumps(d.get('input'))}", "; ".join(r.get("message", "") for r in d.get("reasons", [])))
            for d in result.get("permission_denials", [])
        ]
    if refusals:
        lines += ["", "### Refusals", "", "| what | why |", "|---|---|"]
        lines += [f"| {code(what)} | {cell(why)} |" for what, why in refusals]
    answer = (goal or {}).get("summary") or result.get("result") or result.get("error") or ""
    if answer:
        lines += ["", "### Answer", ""] + ["> " + line for line in str(answer).splitlines()]
    return lines


def main():
    path, exit_code = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding="utf-8") as handle:
            result = json.loads(handle.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError) as error:
        print(f"## agent\n\nThe run printed no result (exit code {exit_code}: "
              f"{EXIT_MEANINGS.get(exit_code, 'see src/exit.rs')}); see stderr.log in the artifact. ({error})")
        return
    goal = result.get("goal")
    rows, status = table(result, goal, exit_code)
    title = f"## agent: goal {status}" if goal else f"## agent: {status}"
    print("\n".join([title, ""] + rows + details(result, goal)))


if __name__ == "__main__":
    main()
