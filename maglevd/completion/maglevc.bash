# bash completion for maglevc (installed by the vpp.maglev.maglevd role; or: source <(maglevc --completion bash)).
# The candidates come from `maglevc __complete`, the completion of maglevc's own shell:
# keywords from its command tree, names from the running maglevd (docs/maglevd.md).
_maglevc() {
    local IFS=$'\n'
    # The words after the command, up to and including the one being completed ("" after a space).
    mapfile -t COMPREPLY < <("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -F _maglevc maglevc
