# Counts labels and actions of a JSONL results file with jq: `jq -n -c -f labels.jq FILE`.
def names($field; $key):
  (.output | if type == "object" then .[$field] else null end)
  | if type == "array" then .[] else empty end
  | if type == "string" then .
    elif type == "object" and (.[$key] | type) == "string" then .[$key]
    else empty end;
reduce inputs as $row ({labels: {}, actions: {}};
  reduce ($row | names("labels"; "label")) as $n (.; .labels[$n] += 1)
  | reduce ($row | names("actions"; "action")) as $n (.; .actions[$n] += 1))
