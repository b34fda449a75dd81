# Checking --json output in tests: source after test-lib.sh.

# Check the JSON document in FILE with the Python statements that follow
# (the document is "d"); a failing assert, or a file that is not JSON,
# fails the test.
json_check() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])' "$1" "$2"
}
