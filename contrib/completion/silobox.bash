# bash completion for silo, medo and knot.
#
# Commands and options are read from the tools' own --help when first
# needed (and kept for the shell's life), so this file never goes stale
# when a command or an option is added.  Arguments: medo completes
# directories and *.treeptr files, silo any file; option values where
# they have a known set (--object-format) or are paths.
#
# Installed as share/bash-completion/completions/{silo,medo,knot}; or
# source it from ~/.bashrc.

declare -gA _silobox_cache

# The commands of TOOL, one a line.
_silobox_commands()
{
	local key="$1"
	if [[ -z ${_silobox_cache[$key]+set} ]]; then
		_silobox_cache[$key]=$(command "$1" --help 2>/dev/null |
			sed -n '/^commands:/,/^$/s/^    \([a-z][a-z0-9-]*\) .*/\1/p')
	fi
	printf '%s\n' "${_silobox_cache[$key]}"
}

# The options of TOOL CMD: "-q", "--quiet", and "--silo=" for those that
# take a value.
_silobox_options()
{
	local key="$1 $2"
	if [[ -z ${_silobox_cache[$key]+set} ]]; then
		_silobox_cache[$key]=$(command "$1" "$2" --help 2>/dev/null | sed -n \
			-e 's/^    -\([a-zA-Z]\), --\([a-z0-9-]*\)\(=\)\{0,1\}.*/-\1 --\2\3/p' \
			-e 's/^        --\([a-z0-9-]*\)\(=\)\{0,1\}.*/--\1\2/p' \
			-e 's/^    -\([a-zA-Z]\)  .*/-\1/p')
	fi
	printf '%s\n' ${_silobox_cache[$key]}
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

# Complete the value CUR of option OPT.
_silobox_value()
{
	local opt=$1 cur=$2
	case $opt in
	--object-format)
		COMPREPLY=($(compgen -W 'sha1 sha256' -- "$cur")) ;;
	--silo|--keep|--hints|--archive|--allowed-signers)
		_silobox_paths "$cur" "" ;;
	*)
		COMPREPLY=() ;;
	esac
}

_silobox()
{
	local tool=${COMP_WORDS[0]##*/} cur=${COMP_WORDS[COMP_CWORD]}
	local prev= cmd= opt= i
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	if [[ $tool == silobox ]] && ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W 'silo medo knot' -- "$cur"))
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
		_silobox_value "${cur%%=*}" "${cur#*=}"
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
		_silobox_value "$opt" "$cur"
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
