#!/usr/bin/env bash
# The action's pull-request step, after the goal was met: commits the final
# diff on a new branch and opens a pull request with the job summary as its
# body. It runs with `gh` and the workflow's token, outside the agent and its
# sandbox: the agent itself never pushes.
set -euo pipefail
cd "${AGENT_WORKING_DIRECTORY:-.}"
out=${AGENT_OUT:?AGENT_OUT: the artifact folder of the run}
if [[ ! -s $out/final.diff ]]; then
  echo "the goal was met without changes: no pull request"
  exit 0
fi
branch=${AGENT_PR_BRANCH:-agent/run-${GITHUB_RUN_ID:-local}}
title=${AGENT_PR_TITLE:-agent: goal met}
git switch -c "$branch"
git add -A
git -c user.name="agent" -c user.email="agent@users.noreply.github.com" commit -qm "$title"
git push -u origin "$branch"
gh pr create --head "$branch" --title "$title" --body-file "$out/summary.md"
