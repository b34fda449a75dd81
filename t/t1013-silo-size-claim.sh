#!/bin/sh
test_description='a loose object whose gzip header claims a huge size is refused before any buffer follows it'
. "$(dirname "$0")/test-lib.sh"

objpath() {
	echo "objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

# Overwrite the size of our gzip extra field (bytes 16..23: after the
# 10-byte header, XLEN, and the "Sz" subfield's id and length) with the
# little-endian 64-bit SIZE.
claim_size() {
	perl -e '
		my ($f, $n) = @ARGV;
		open(my $h, "+<", $f) or die "$f: $!";
		binmode $h;
		read($h, my $head, 16) == 16 or die "short";
		substr($head, 12, 2) eq "Sz" or die "no size field";
		seek($h, 16, 0);
		print $h pack("Q<", $n);
		close($h) or die;
	' "$1" "$2"
}

test_expect_success 'setup: a silo with one small object' '
	silo init s &&
	echo hello >f &&
	silo put --silo s f >id &&
	o=$(objpath $(cat id)) && echo "$o" >opath &&
	chmod u+w s/$o
'

test_expect_success 'a claim of a terabyte: silo cat names the object, exit 4' '
	o=$(cat opath) &&
	claim_size s/$o 1099511627776 &&
	test_expect_code 4 silo cat --silo s $(cat id) >out 2>err &&
	test_must_be_empty out &&
	echo "silo: error: corrupt object '"'"'s/$o'"'"': size in gzip header is larger than the data can hold" >expect &&
	test_cmp expect err
'

test_expect_success 'silo verify reports it, exit 1' '
	o=$(cat opath) &&
	test_expect_code 1 silo verify s 2>err &&
	grep "^silo: error: corrupt object .$o.: size in gzip header is larger than the data can hold$" err
'

test_expect_success 'a claim the data could hold is read and found short' '
	o=$(cat opath) &&
	claim_size s/$o 8000 &&
	test_expect_code 4 silo cat --silo s $(cat id) >out 2>err &&
	grep "content is shorter than its recorded size" err
'

test_expect_success 'the true size reads again' '
	o=$(cat opath) &&
	claim_size s/$o 6 &&
	silo cat --silo s $(cat id) >out &&
	test_cmp f out
'

test_done
