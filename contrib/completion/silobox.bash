# bash completion for silo, medo and knot.
#
# Commands, options and what an option's value is come from the manual
# pages: the build (tools/gen-docs.py) writes them, as the arrays
# _silobox_cmds, _silobox_opts and _silobox_values, before this script
# into build/gen/silobox.bash, which make install installs; so they
# always match the tools built with them.  Arguments: medo completes
# directories and *.treeptr files, silo any file; option values where the
# page names their words (--kind=tar|tree) or what they are (<dir>).
#
# Installed as share/bash-completion/completions/{silo,medo,knot}; or
# source build/gen/silobox.bash from ~/.bashrc.

# The commands of TOOL, one a line.
_silobox_commands()
{
	printf '%s\n' ${_silobox_cmds[$1]}
}

# The options of TOOL CMD: "-q", "--quiet", and "--silo=" for those that
# take a value.
_silobox_options()
{
	printf '%s\n' ${_silobox_opts["$1 $2"]}
}

# Complete CUR as a path; with ONLY_TREEPTRS, directories and *.treeptr.
_silobox_paths()
{
	local cur=$1 only_treeptrs=$2 IFS=$'\n'
	if [[ -n $only_treeptrs ]]; then
		COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.treeptr' -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	compopt -o filenames 2>/dev/null
}

# Complete the value CUR of option OPT of TOOL CMD: the words its page
# gives ("sha1|sha256"), or by what its page calls it ("<dir>").
_silobox_value()
{
	local tool=$1 cmd=$2 opt=$3 cur=$4 what
	what=${_silobox_values["$tool $cmd $opt"]}
	case $what in
	'<format>')
		COMPREPLY=($(compgen -W 'sha1 sha256' -- "$cur")) ;;
	'<dir>'|'<file>'|'<path>'|'<silo>'|'<allowed-signers>')
		_silobox_paths "$cur" "" ;;
	*'<'*|'')
		COMPREPLY=() ;;
	*)
		COMPREPLY=($(compgen -W "${what//|/ }" -- "$cur")) ;;
	esac
}

_silobox()
{
	local tool=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]}
	local prev= cmd= opt= i
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	if [[ $tool == silobox ]] && ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "${!_silobox_cmds[*]}" -- "$cur"))
		return
	fi
	i=1
	[[ $tool == silobox ]] && { tool=${COMP_WORDS[1]}; i=2; }
	for ((; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--help --version' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_silobox_commands "$tool") help" -- "$cur"))
		fi
		return
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$(_silobox_commands "$tool")" -- "$cur"))
		return
	fi

	# The value of an option: "--silo=<TAB>" (bash splits at '='),
	# "--silo <TAB>", or "--silo=x<TAB>" where '=' does not split.
	if [[ $cur == --*=* ]]; then
		_silobox_value "$tool" "$cmd" "${cur%%=*}" "${cur#*=}"
		return
	fi
	if [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == = ]]; then
		opt=$prev
		cur=
	elif [[ $prev == --* ]] && _silobox_options "$tool" "$cmd" | grep -qx -- "$prev="; then
		opt=$prev
	fi
	if [[ -n $opt ]]; then
		_silobox_value "$tool" "$cmd" "$opt" "$cur"
		return
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_silobox_options "$tool" "$cmd")" -- "$cur"))
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	case $tool:$cmd in
	medo:add|medo:tree-id|medo:show)
		_silobox_paths "$cur" "" ;;
	medo:*)
		_silobox_paths "$cur" treeptrs ;;
	*)
		_silobox_paths "$cur" "" ;;
	esac
}

complete -F _silobox silo medo knot silobox
