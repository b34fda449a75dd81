#!/bin/sh
test_description='knot build reports: tasks.tsv, its schema, logs, index.html and knot report'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"
command -v python3 >/dev/null || test_skip_all PYTHON3 "python3 is missing (to parse index.html)"

test_expect_success 'setup: three recipes, one depending on the others, one built before' '
	knot_setup &&
	knot_recipe one 1.0 &&
	knot_recipe two 1.0 &&
	knot_recipe three 1.0 "WEDGE_DEPS=\"one/1.0 two/1.0\"" &&
	knot build --unboxed --report=first deps/source.medo/two 2>/dev/null &&
	knot build --unboxed -j2 --report=rep deps/source.medo 2>err &&
	grep -q "^knot: report: $PWD/rep/index.html\$" err
'

test_expect_success 'tasks.tsv: the columns in order, one row per task, the right cache column' '
	printf "status\telapsed_secs\tstart_time\tend_time\tuser_secs\tsys_secs\tmax_rss_KiB\twedge\tversion\tkey\tcache\tlog\twhy\ttree\ttree_bytes\ttreeptr\n" >expect &&
	head -n 1 rep/tasks.tsv >actual &&
	test_cmp expect actual &&
	awk -F"\t" "NR > 1 { print \$1, \$8, \$9, \$10, \$11, \$13 }" rep/tasks.tsv | sort -k2 >actual &&
	for n in one three two; do
		k=$(knot key --unboxed deps/source.medo/$n | cut -d" " -f1) &&
		c="built new" && { test $n != two || c="hit published"; } &&
		echo "0 $n 1.0 $k $c" || return 1
	done >expect &&
	test_cmp expect actual &&
	awk -F"\t" "NR > 1 && \$11 == \"built\" && !(\$2 >= 0 && \$4 >= \$3 && \$5 >= 0 && \$6 >= 0 && \$7 > 0) { print }" rep/tasks.tsv >bad &&
	test_must_be_empty bad &&
	awk -F"\t" "NR > 1 { d = \$4 - \$3 - \$2; if (d < -0.002 || d > 0.002) print }" rep/tasks.tsv >bad &&
	test_must_be_empty bad
'

test_expect_success 'tasks.tsv: each row names its published treeptr, its tree id and size' '
	awk -F"\t" "NR > 1 { print \$8, \$14, \$15, \$16 }" rep/tasks.tsv | sort >actual &&
	for n in one three two; do
		tp=$PWD/deps/derived.medo/debian/bookworm/$n-1.0.treeptr &&
		tree=$(sed -n "s/^  \"tree\": \"\(.*\)\",\$/\1/p" "$tp") &&
		size=$(sed -n "s/^  \"size\": \([0-9]*\),\$/\1/p" "$tp") &&
		test -n "$tree" && test "$size" -gt 0 &&
		echo "$n $tree $size $tp" || return 1
	done >expect &&
	test_cmp expect actual
'

test_expect_success 'one log per task that ran, named in the row' '
	for f in $(awk -F"\t" "NR > 1 && \$11 == \"built\" { print \$12 }" rep/tasks.tsv); do
		grep -q "^knot: running wedge-make\$" rep/$f || return 1
	done &&
	test "$(ls rep/logs | wc -l)" = 2
'

test_expect_success 'the schema file describes every column, in order' '
	cut -f1 rep/tasks.schema.tsv | tail -n +2 | tr "\n" "\t" | sed "s/\t\$//" >actual && echo >>actual &&
	head -n 1 rep/tasks.tsv >expect &&
	test_cmp expect actual &&
	awk -F"\t" "NR > 1 && (\$2 == \"\" || \$3 == \"\") { print }" rep/tasks.schema.tsv >bad &&
	test_must_be_empty bad
'

cat >parse.py <<'PY'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.heads, self.cell, self.links = [], [], None, []
        self.scripts, self.in_head, self.ids, self.shown = 0, False, [], []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a:
            self.ids.append(a['id'])
        if tag == 'tr' and a.get('class', '').startswith('task'):
            self.rows.append([])
        elif tag in ('td', 'th'):
            self.cell = ''
            self.title = a.get('title')
        elif tag == 'a' and self.rows and self.cell is not None:
            self.links.append(a['href'])
        elif tag == 'script':
            self.scripts += 1
            if 'src' in a:
                print('external script', a['src']); sys.exit(1)
    def handle_endtag(self, tag):
        if tag == 'td' and self.rows:
            # a cell shown for people has the value of tasks.tsv as its title
            self.rows[-1].append(self.title if self.title is not None else self.cell)
            if self.title is not None:
                self.shown.append((self.title, self.cell))
            self.cell = None
        elif tag == 'th':
            self.heads.append(self.cell)
            self.cell = None
    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

p = P()
p.feed(open(sys.argv[1]).read())
print('\t'.join(p.heads))
for r in p.rows:
    print('\t'.join(r))
for l in p.links:
    print('link', l)
for title, text in p.shown:
    print('shown', title, text)
print('ids', ' '.join(p.ids))
print('scripts', p.scripts)
PY

test_expect_success 'index.html: one table whose rows are tasks.tsv, links to the logs, totals, critical path' '
	python3 parse.py rep/index.html >parsed &&
	grep -v "^link \|^ids \|^scripts \|^shown " parsed >actual &&
	test_cmp rep/tasks.tsv actual &&
	awk -F"\t" "NR > 1 { if (\$12 != \"-\") print \"link \" \$12; sub(/.*\/deps\//, \"../deps/\", \$16); print \"link \" \$16 }" rep/tasks.tsv >expect &&
	grep "^link " parsed >actual &&
	test_cmp expect actual &&
	grep -q "^ids tasks totals critical-path\$" parsed &&
	grep -q "^scripts 1\$" parsed &&
	awk -F"\t" "NR > 1 { print \$3; print \$4; print \$10; if (\$12 != \"-\") print \$12; print \$14; print \$15; print \$16 }" rep/tasks.tsv >values &&
	python3 -c "import time, sys
for v in open(\"values\").read().split():
    print(\"shown\", v, \"log\" if v.startswith(\"logs/\") else \"treeptr\" if v.endswith(\".treeptr\")
          else v[:12] if len(v) in (40, 64) else \"%.1f KiB\" % (int(v) / 1024) if v.isdigit()
          else time.strftime(\"%Y-%m-%d %H:%M:%S\", time.gmtime(int(float(v)))))" >expect &&
	grep "^shown " parsed >actual &&
	test_cmp expect actual &&
	grep -q "3 tasks: 1 hit, 2 built, 0 failed" rep/index.html &&
	k1=$(knot key --unboxed deps/source.medo/one | cut -c1-12) &&
	k3=$(knot key --unboxed deps/source.medo/three | cut -c1-12) &&
	grep -q "Critical path ([0-9.]* s): one <span class=\"key\">$k1</span> ([0-9.]* s) &rarr; three <span class=\"key\">$k3</span>" rep/index.html
'

test_expect_success 'knot report writes index.html again from tasks.tsv' '
	cp rep/index.html before.html &&
	rm rep/index.html &&
	knot report rep &&
	test_cmp before.html rep/index.html &&
	sed -i "s/\tone\t1.0\t/\tuno\t1.0\t/" rep/tasks.tsv &&
	knot report rep &&
	python3 parse.py rep/index.html | grep -v "^link \|^ids \|^scripts \|^shown " >actual &&
	test_cmp rep/tasks.tsv actual
'

test_expect_success 'knot report of a malformed tasks.tsv fails, naming the file and line' '
	mkdir broken && printf "h\n1\t2\n" >broken/tasks.tsv &&
	test_expect_code 5 knot report broken 2>err &&
	grep -q "broken/tasks.tsv. line 2: expected 16 columns" err &&
	! test -e broken/index.html
'

test_done
