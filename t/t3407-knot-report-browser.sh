#!/bin/sh
test_description='knot report: index.html of a run with a failed task, read by headless Chromium'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"
. "$TEST_DIRECTORY/lib-browser.sh"

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"
command -v python3 >/dev/null || test_skip_all PYTHON3 "python3 is missing (to read the DOM)"
start_browser || test_skip_all CHROMIUM "chromium does not start"

test_expect_success 'setup: one recipe built, changed and built again, one whose smoke test fails' '
	knot_setup &&
	knot_recipe good 1.0 &&
	knot build --unboxed --report=first deps/source.medo/good 2>/dev/null &&
	echo "# a comment changes the recipe" >>deps/source.medo/good/WEDGE &&
	knot_recipe bad 1.0 "wedge-smoke-test() {
  for i in \$(seq 30); do echo \"smoke line \$i\"; done
  false
}" &&
	test_expect_code 9 knot build --unboxed --keep-going --report=rep deps/source.medo 2>err &&
	awk -F"\t" "NR > 1 { print \$8, \$11 }" rep/tasks.tsv | sort >actual &&
	printf "bad failed\ngood built\n" >expect &&
	test_cmp expect actual
'

# The DOM of a report as the browser has it: the failures, the why and
# treeptr cells of each row, one a line.
cat >dom.py <<'PY'
import sys
from html.parser import HTMLParser

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.path, self.out, self.text, self.row = [], [], None, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get('class', '')
        if tag == 'tr' and cls.startswith('task'):
            self.row = []
        if tag == 'td' and self.row is not None:
            self.row.append(['', None, cls])
        if tag == 'a' and a.get('class') == 'treeptr':
            self.row[-1][1] = a['href']
        if tag == 'span' and cls == 'step':
            self.text, self.what = '', 'step'
        if tag == 'pre':
            self.text, self.what = '', 'tail'
    def handle_endtag(self, tag):
        if tag == 'tr' and self.row is not None:
            cells = self.row
            name = cells[7][0]
            self.out.append('why %s %s' % (name, cells[12][0]))
            self.out.append('treeptr %s %s %s' % (name, cells[15][1], cells[13][2]))
            self.row = None
        if tag in ('span', 'pre') and self.text is not None:
            if self.what == 'step':
                self.out.append('step ' + self.text)
            else:
                lines = self.text.strip('\n').split('\n')
                self.out.append('tail %d lines' % len(lines))
                self.out += ['tail ' + l for l in lines
                             if l in ('smoke line 30', '+ false') or l.startswith('knot: wedge-')]
            self.text = None
    def handle_data(self, data):
        if self.row is not None and self.row:
            self.row[-1][0] += data
        if self.text is not None:
            self.text += data

p = P()
p.feed(open(sys.argv[1]).read())
print('\n'.join(p.out))
PY

for width in 1400 390; do
	test_expect_success CHROMIUM "at $width px: the failed step, its log's tail, why it ran, the treeptr link" '
		browser_ready &&
		page "file://$PWD/rep/index.html" $width rep-$width.html --no-js --scroll-width \
			--screenshot=rep-$width.png &&
		sed "/^SCROLL-WIDTH \|^REQUEST /d" rep-$width.html.log >problems &&
		test_must_be_empty problems &&
		python3 dom.py rep-$width.html >actual &&
		tp=$(awk -F"\t" "\$8 == \"good\" { print \$16 }" rep/tasks.tsv) &&
		cat >expect <<-EOF &&
		why bad new
		treeptr bad None key
		why good recipe-tree
		treeptr good ../deps/derived.medo/debian/bookworm/good-1.0.treeptr key
		step wedge-smoke-test failed with exit status 1
		tail 15 lines
		tail smoke line 30
		tail + false
		tail knot: wedge-smoke-test failed with exit status 1
		EOF
		test_cmp expect actual &&
		test "$tp" = "$PWD/deps/derived.medo/debian/bookworm/good-1.0.treeptr" &&
		test -f "rep/../deps/derived.medo/debian/bookworm/good-1.0.treeptr" &&
		test -s rep-$width.png
	'
done

test_expect_success CHROMIUM 'at 1400 px the table fits: nothing scrolls sideways' '
	grep "^SCROLL-WIDTH" rep-1400.html.log >actual &&
	echo "SCROLL-WIDTH 1400" >expect &&
	test_cmp expect actual
'

test_done
