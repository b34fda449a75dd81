#!/bin/sh
test_description='treeptr files: exact format, stable output, unknown fields kept, strict errors'
. "$(dirname "$0")/test-lib.sh"

SOURCE_DATE_EPOCH=1000000000
export SOURCE_DATE_EPOCH
ID=ce013625030ba8dba906f756967f9e9ca394464a
Z40=0000000000000000000000000000000000000000

test_expect_success 'setup: a silo and a medo directory' '
	silo init deps.silo &&
	mkdir -p deps/src.medo &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/src.medo/SILO.json &&
	echo hello >f
'

test_expect_success 'add --opaque writes exactly the documented fields, sorted, 2-space indent' '
	medo add --opaque --note "a note" --url https://example.org/f f deps/src.medo/f.treeptr &&
	version=$(medo --version | sed "s/^medo version //") &&
	sha=$(sha256sum f | cut -d" " -f1) &&
	cat >expect <<-END &&
	{
	  "kind": "opaque",
	  "object": "$ID",
	  "object-format": "sha1",
	  "provenance": {
	    "file": "f",
	    "host": "$(hostname)",
	    "note": "a note",
	    "sha256": "$sha",
	    "source": "$(pwd -P)/f",
	    "time": "2001-09-09T01:46:40Z",
	    "tool": "medo $version",
	    "url": "https://example.org/f",
	    "user": "$(id -un)"
	  },
	  "size": 6,
	  "treeptr": 1
	}
	END
	test_cmp expect deps/src.medo/f.treeptr
'

test_expect_success 'no temporary file is left beside the treeptr' '
	ls -A deps/src.medo >actual &&
	printf "SILO.json\nf.treeptr\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'the object named is in the silo' '
	silo cat --silo deps.silo $ID >out &&
	test_cmp f out
'

test_expect_success 'writing the same treeptr twice gives byte-identical files' '
	medo add --opaque --note "a note" --url https://example.org/f f deps/src.medo/g.treeptr &&
	cmp deps/src.medo/f.treeptr deps/src.medo/g.treeptr &&
	rm deps/src.medo/g.treeptr
'

test_expect_success 'adding the same data again leaves the file untouched' '
	cp deps/src.medo/f.treeptr before &&
	SOURCE_DATE_EPOCH=2000000000 medo add --opaque f deps/src.medo/f.treeptr &&
	cmp before deps/src.medo/f.treeptr
'

test_expect_success 'other data onto an existing treeptr is refused (exit 8), the file kept' '
	echo other >f2 &&
	test_expect_code 8 medo add --opaque f2 deps/src.medo/f.treeptr 2>err &&
	grep "^medo: error: .deps/src.medo/f.treeptr. already names other data (object $ID); use --force to replace it$" err &&
	cmp before deps/src.medo/f.treeptr
'

test_expect_success 'a rewrite with --force keeps unknown fields, replaces provenance' '
	sed "s/^  \"kind\"/  \"x-future\": {\"a\": [1, 2]},\n  \"kind\"/" before >deps/src.medo/f.treeptr &&
	grep x-future deps/src.medo/f.treeptr &&
	medo add --force --opaque f2 deps/src.medo/f.treeptr &&
	id2=$(silo put --silo deps.silo f2) &&
	grep "^  \"object\": \"$id2\",$" deps/src.medo/f.treeptr &&
	grep "^  \"x-future\": {$" deps/src.medo/f.treeptr &&
	grep "^      1,$" deps/src.medo/f.treeptr &&
	! grep "a note" deps/src.medo/f.treeptr &&
	grep "\"file\": \"f2\"" deps/src.medo/f.treeptr
'

test_expect_success 'unknown fields are ignored when reading' '
	medo url-for deps/src.medo/f.treeptr >out &&
	test_line_count 1 out
'

test_expect_success 'a source path that is not UTF-8 is recorded with U+FFFD' '
	dir=$(printf "lat\351n") && mkdir "$dir" && echo x >"$dir/f" &&
	medo add --note "$(printf "n\377")" "$dir" deps/src.medo/latin.treeptr &&
	grep "\"source\": \".*/$(printf "lat\357\277\275n")\",$" deps/src.medo/latin.treeptr &&
	grep "\"note\": \"$(printf "n\357\277\275")\",$" deps/src.medo/latin.treeptr &&
	medo expand deps/src.medo/latin.treeptr out-latin &&
	test_cmp "$dir/f" out-latin/f
'

# Each case: a file name, its content, the message expected after
# "medo: error: 'bad.treeptr': ".
check_bad() {
	printf "%s" "$2" >deps/src.medo/bad.treeptr &&
	test_expect_code 5 medo url-for deps/src.medo/bad.treeptr >out 2>err &&
	test_must_be_empty out &&
	echo "medo: error: 'deps/src.medo/bad.treeptr': $3" >expect &&
	test_cmp expect err
}

good_fields="\"treeptr\": 1, \"object-format\": \"sha1\", \"size\": 6"

test_expect_success 'a file that is not JSON' '
	check_bad bad "not json" "not valid JSON: line 1: '\''['\'' or '\''{'\'' expected near '\''not'\''"
'

test_expect_success 'an empty file' '
	check_bad bad "" "not valid JSON: line 1: '\''['\'' or '\''{'\'' expected near end of file"
'

test_expect_success 'JSON that is not an object' '
	check_bad bad "[1, 2]" "expected a JSON object, not an array"
'

test_expect_success 'a missing version' '
	check_bad bad "{\"object-format\": \"sha1\"}" \
		"missing field '\''treeptr'\'': expected the format version, an integer"
'

test_expect_success 'a version of the wrong type' '
	check_bad bad "{\"treeptr\": \"1\"}" \
		"field '\''treeptr'\'': expected the format version, an integer, not a string"
'

test_expect_success 'a version newer than this tool' '
	check_bad bad "{\"treeptr\": 2}" \
		"field '\''treeptr'\'': format version 2 is newer than this tool reads (1)"
'

test_expect_success 'an unknown object format' '
	check_bad bad "{\"treeptr\": 1, \"object-format\": \"md5\"}" \
		"field '\''object-format'\'': expected \"sha1\" or \"sha256\", not \"md5\""
'

test_expect_success 'a missing kind' '
	check_bad bad "{$good_fields}" \
		"missing field '\''kind'\'': expected \"tar\", \"archive\", \"opaque\", \"tree\" or \"image\""
'

test_expect_success 'an unknown kind' '
	check_bad bad "{$good_fields, \"kind\": \"zip\"}" \
		"field '\''kind'\'': expected \"tar\", \"archive\", \"opaque\", \"tree\" or \"image\", not \"zip\""
'

test_expect_success 'a missing object id' '
	check_bad bad "{$good_fields, \"kind\": \"opaque\"}" \
		"missing field '\''object'\'': expected a sha1 id of 40 lowercase hex digits"
'

test_expect_success 'an object id of the wrong type' '
	check_bad bad "{$good_fields, \"kind\": \"opaque\", \"object\": 12}" \
		"field '\''object'\'': expected a sha1 id of 40 lowercase hex digits, not an integer"
'

test_expect_success 'an object id of the wrong length' '
	check_bad bad "{$good_fields, \"kind\": \"opaque\", \"object\": \"${ID%?}\"}" \
		"field '\''object'\'': expected a sha1 id of 40 lowercase hex digits, not 39 characters"
'

test_expect_success 'a sha256-length id in a sha1 treeptr' '
	check_bad bad "{$good_fields, \"kind\": \"opaque\", \"object\": \"$ID$ID\"}" \
		"field '\''object'\'': expected a sha1 id of 40 lowercase hex digits, not 80 characters"
'

test_expect_success 'an object id with a non-hex digit' '
	check_bad bad "{$good_fields, \"kind\": \"opaque\", \"object\": \"ce01362503gba8dba906f756967f9e9ca394464a\"}" \
		"field '\''object'\'': expected a sha1 id of 40 lowercase hex digits, found '\''g'\'' at position 11"
'

test_expect_success 'an object id in uppercase' '
	upper=$(echo $ID | tr a-f A-F) &&
	check_bad bad "{$good_fields, \"kind\": \"opaque\", \"object\": \"$upper\"}" \
		"field '\''object'\'': expected a sha1 id of 40 lowercase hex digits, found '\''C'\'' at position 1"
'

test_expect_success 'a size of the wrong type' '
	check_bad bad "{\"treeptr\": 1, \"object-format\": \"sha1\", \"kind\": \"opaque\", \"object\": \"$ID\", \"size\": \"6\"}" \
		"field '\''size'\'': expected the object'\''s size in bytes, an integer, not a string"
'

test_expect_success 'a negative size' '
	check_bad bad "{\"treeptr\": 1, \"object-format\": \"sha1\", \"kind\": \"opaque\", \"object\": \"$ID\", \"size\": -1}" \
		"field '\''size'\'': expected a size in bytes, not -1"
'

test_expect_success 'a tree treeptr without a tree id' '
	check_bad bad "{$good_fields, \"kind\": \"tar\", \"object\": \"$ID\"}" \
		"missing field '\''tree'\'': expected a sha1 id of 40 lowercase hex digits"
'

test_expect_success 'a tree id with a bad digit' '
	check_bad bad "{$good_fields, \"kind\": \"archive\", \"object\": \"$ID\", \"tree\": \"${Z40%?}-\"}" \
		"field '\''tree'\'': expected a sha1 id of 40 lowercase hex digits, found '\''-'\'' at position 40"
'

test_expect_success 'a provenance that is not an object' '
	check_bad bad "{$good_fields, \"kind\": \"opaque\", \"object\": \"$ID\", \"provenance\": \"me\"}" \
		"field '\''provenance'\'': expected an object, not a string"
'

test_expect_success 'a duplicated field' '
	check_bad bad "{$good_fields, \"size\": 7, \"kind\": \"opaque\", \"object\": \"$ID\"}" \
		"not valid JSON: line 1: duplicate object key near '\''\"size\"'\''"
'

test_expect_success 'a malformed treeptr leaves the destination untouched' '
	printf "{}" >deps/src.medo/bad.treeptr &&
	test_expect_code 5 medo expand deps/src.medo/bad.treeptr dest 2>err &&
	grep "^medo: error: .deps/src.medo/bad.treeptr.: missing field .treeptr." err &&
	! test -e dest &&
	mkdir dest2 && echo keep >dest2/file &&
	test_expect_code 5 medo expand --force deps/src.medo/bad.treeptr dest2 &&
	echo keep >expect && test_cmp expect dest2/file &&
	test_expect_code 5 medo verify deps/src.medo/bad.treeptr dest2 &&
	rm deps/src.medo/bad.treeptr
'

test_expect_success 'a missing treeptr exits 3' '
	test_expect_code 3 medo url-for deps/src.medo/nope.treeptr 2>err &&
	grep "^medo: error: cannot open .deps/src.medo/nope.treeptr.: No such file or directory$" err
'

test_done
