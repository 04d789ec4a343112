#!/bin/bash
# A coding-agent CLI in a shell script. It owns its loop: each turn it asks the model (any
# OpenAI-compatible endpoint, at $OPENAI_BASE_URL with $OPENAI_API_KEY) for one tool call,
# and carries it out itself:
#   run(command)              runs the command with "$SHELL" -c
#   write_file(path, content) writes the file, directly
#   done, or no tool call     ends: exit 0
# It knows nothing of Undertow. Under Undertow, $SHELL is the sandbox's shim, so each command
# is a step of the episode, and the files it writes are seen at its next turn. python3 does
# the JSON and the HTTP (curl may not be installed).
set -u
max_turns=${MAX_TURNS:-30}
state=$(mktemp -d "${HOME:-/tmp}/agent.XXXXXX")
helper="$state/helper.py"
cat > "$helper" <<'PY'
import json, os, sys, urllib.request

conversation, action = sys.argv[2], sys.argv[3]
TOOLS = [
    {"type": "function", "function": {"name": "run", "description": "Run a shell command.",
     "parameters": {"type": "object", "properties": {"command": {"type": "string"}},
                    "required": ["command"]}}},
    {"type": "function", "function": {"name": "write_file", "description": "Write a file.",
     "parameters": {"type": "object", "properties": {"path": {"type": "string"},
                    "content": {"type": "string"}}, "required": ["path", "content"]}}},
    {"type": "function", "function": {"name": "done", "description": "Stop: the task is done.",
     "parameters": {"type": "object", "properties": {}}}},
]
if sys.argv[1] == "start":  # the conversation: the task
    task = open(os.environ["TASK_FILE"]).read()
    system = "You fix code in the current folder with the tools. One tool call per turn."
    json.dump([{"role": "system", "content": system}, {"role": "user", "content": task}],
              open(conversation, "w"))
elif sys.argv[1] == "ask":  # one model call; prints the tool to use
    messages = json.load(open(conversation))
    body = {"model": os.environ.get("MODEL", "default"), "messages": messages, "tools": TOOLS}
    request = urllib.request.Request(
        os.environ["OPENAI_BASE_URL"].rstrip("/") + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"],
                 "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    message = json.load(opener.open(request, timeout=600))["choices"][0]["message"]
    messages.append({k: v for k, v in message.items() if k in ("role", "content", "tool_calls")})
    json.dump(messages, open(conversation, "w"))
    calls = message.get("tool_calls") or [{"id": "", "function": {"name": "done"}}]
    call = calls[0]["function"]
    args = json.loads(call.get("arguments") or "{}")
    json.dump({"id": calls[0]["id"], "name": call["name"], "args": args}, open(action, "w"))
    print(call["name"])
elif sys.argv[1] == "arg":  # an argument of the tool call
    sys.stdout.write(str(json.load(open(action))["args"].get(sys.argv[4], "")))
elif sys.argv[1] == "answer":  # the tool's result goes back to the model
    messages = json.load(open(conversation))
    messages.append({"role": "tool", "tool_call_id": json.load(open(action))["id"],
                     "content": open(sys.argv[4], errors="replace").read()})
    json.dump(messages, open(conversation, "w"))
PY
conversation="$state/conversation.json"
action="$state/action.json"
result="$state/result.txt"
TASK_FILE=${UNDERTOW_TASK_FILE:-${1:?usage: agent.sh TASK_FILE}} MODEL=${UNDERTOW_MODEL:-default} \
    python3 "$helper" start "$conversation" "$action"
for ((turn = 0; turn < max_turns; turn++)); do
    tool=$(MODEL=${UNDERTOW_MODEL:-default} python3 "$helper" ask "$conversation" "$action") \
        || { echo "agent.sh: the model call failed" >&2; exit 1; }
    case "$tool" in
        run)
            command=$(python3 "$helper" arg "$conversation" "$action" command)
            "${SHELL:-/bin/sh}" -c "$command" > "$result" 2>&1
            echo "[exit code $?]" >> "$result" ;;
        write_file)
            path=$(python3 "$helper" arg "$conversation" "$action" path)
            mkdir -p "$(dirname "$path")"
            python3 "$helper" arg "$conversation" "$action" content > "$path"
            echo "wrote $path" > "$result" ;;
        *)
            echo "agent.sh: done after $turn turns"
            exit 0 ;;
    esac
    python3 "$helper" answer "$conversation" "$action" "$result"
done
echo "agent.sh: out of turns ($max_turns)" >&2
exit 1
