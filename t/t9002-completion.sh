#!/bin/sh
test_description='bash completion of silo, medo and knot: commands, options, treeptr paths'
. "$(dirname "$0")/test-lib.sh"

# The script the build makes from contrib/completion/silobox.bash and the
# pages (tools/gen-docs.py), as make install installs it.
SCRIPT=$SILO_BUILD_DIR/gen/silobox.bash
test_lazy_prereq BASH 'command -v bash || { echo bash is missing; false; }'

# complete_words WORD...: complete the last word (give "" for a new
# one) as bash would, and print the candidates one a line, sorted.
cat >complete.bash <<EOF
. "$SCRIPT" || exit 1
COMP_WORDS=("\$@")
COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1))
_silobox
printf '%s\n' "\${COMPREPLY[@]}" | sort
EOF

complete_words() {
	bash ./complete.bash "$@"
}

# The commands a tool's --help lists.
commands_of() {
	$1 --help | sed -n "/^commands:/,/^\$/s/^    \([a-z-]*\) .*/\1/p"
}

test_expect_success BASH 'a tool and nothing else: every command its --help lists' '
	{ commands_of silo; echo help; } | sort >expect &&
	complete_words silo "" >actual &&
	test_cmp expect actual &&
	{ commands_of medo; echo help; } | sort >expect &&
	complete_words medo "" >actual &&
	test_cmp expect actual && grep -x status actual
'

test_expect_success BASH 'command prefixes' '
	complete_words medo ex >actual && echo expand >expect && test_cmp expect actual &&
	complete_words medo st >actual && echo status >expect && test_cmp expect actual &&
	complete_words medo r >actual && echo reachable >expect && test_cmp expect actual &&
	complete_words medo f >actual && echo fsck >expect && test_cmp expect actual &&
	complete_words medo g >actual && echo gc >expect && test_cmp expect actual &&
	complete_words silo help re >actual && echo repack >expect && test_cmp expect actual
'

test_expect_success BASH 'option prefixes come from the command'\''s page' '
	complete_words medo status --j >actual && echo --json >expect && test_cmp expect actual &&
	complete_words medo expand --d >actual &&
	printf "%s\n" --delete --dry-run >expect && test_cmp expect actual &&
	complete_words silo verify -- >actual &&
	printf "%s\n" --help --jobs= --json --no-progress --progress --quiet --silo= --verbose >expect && test_cmp expect actual &&
	complete_words medo add --integ >actual && echo --integrity= >expect && test_cmp expect actual
'

test_expect_success BASH 'every option of every command is offered' '
	for tool in silo medo knot; do
		for c in $(commands_of $tool); do
			$tool $c --help | sed -n "s/^ *\(-[a-z], \)\{0,1\}\(--[a-z0-9-]*\).*/\2/p" |
				sort >expect &&
			complete_words $tool $c -- | sed "s/=\$//" | sort >actual &&
			test_cmp expect actual || return 1
		done
	done
'

test_expect_success BASH 'medo arguments: directories and treeptrs, not other files' '
	mkdir -p m.medo/sub && : >m.medo/a.treeptr && : >m.medo/notes.txt &&
	: >m.medo/sub/b.treeptr &&
	complete_words medo verify m.medo/ >actual &&
	printf "%s\n" m.medo/a.treeptr m.medo/sub >expect && test_cmp expect actual &&
	complete_words medo url-for --json m.medo/s >actual &&
	echo m.medo/sub >expect && test_cmp expect actual
'

test_expect_success BASH 'option values: the words or the kind of value the page names' '
	complete_words medo tree-id --object-format=s >actual &&
	printf "%s\n" sha1 sha256 >expect && test_cmp expect actual &&
	complete_words medo tree-id --object-format = "" >actual && test_cmp expect actual &&
	complete_words silo init --object-format sha2 >actual &&
	echo sha256 >expect && test_cmp expect actual &&
	complete_words medo add --kind=t >actual &&
	printf "%s\n" tar tree >expect && test_cmp expect actual &&
	mkdir deps.silo && : >signing.key && : >signers.allowed &&
	complete_words silo ls --silo dep >actual &&
	echo deps.silo >expect && test_cmp expect actual &&
	complete_words knot build --sign-key=signi >actual &&
	echo signing.key >expect && test_cmp expect actual &&
	complete_words medo expand --require-signature signe >actual &&
	echo signers.allowed >expect && test_cmp expect actual &&
	complete_words silo put --level=d >actual &&
	! grep . actual
'

test_expect_success BASH 'knot and silobox' '
	complete_words knot -- >actual &&
	printf "%s\n" --help --version >expect && test_cmp expect actual &&
	complete_words silobox m >actual && echo medo >expect && test_cmp expect actual &&
	complete_words silobox medo ve >actual && echo verify >expect && test_cmp expect actual
'

test_expect_success BASH 'the script registers the tools' '
	bash -c ". \"$SCRIPT\" && complete -p silo medo knot" >actual &&
	grep -c "^complete -F _silobox " actual >count && echo 3 >expect && test_cmp expect count
'

test_done
