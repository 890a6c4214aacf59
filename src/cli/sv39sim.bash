# bash completion for sv39sim (installed as share/bash-completion/completions/sv39sim).
# Options and their values; in an -e argument, command names, which come from the
# program's own command table (`sv39sim --json -e help`), so they cannot fall behind it.

# The command names, one a word, from the sv39sim being completed ($1).
_sv39sim_commands() {
  local out
  out=$("$1" --json -e help 2>/dev/null) || return
  out=${out#*\"commands\":[}
  out=${out%%]*}
  out=${out//\"/}
  printf '%s\n' ${out//,/ }
}

_sv39sim() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local opts="--execute --interactive --keep-going --quiet --json --kpt --edition --kernel --log
    --ram --tlb --ad --superpages --help --version -e -i -k -q -h"
  case $prev in
  --kpt)
    mapfile -t COMPREPLY < <(compgen -W "global per-process per-process-user" -- "$cur")
    return ;;
  --edition)
    mapfile -t COMPREPLY < <(compgen -W "2020 2021 2022 2023 2024 2025" -- "$cur")
    return ;;
  --ad)
    mapfile -t COMPREPLY < <(compgen -W "hw fault" -- "$cur")
    return ;;
  --tlb)
    mapfile -t COMPREPLY < <(compgen -W "0 16 32 64 16x4 32,lru 32,fifo 32,random 32,plru" \
      -- "$cur")
    return ;;
  --superpages)
    mapfile -t COMPREPLY < <(compgen -W "0 1 10" -- "$cur")
    return ;;
  --ram)
    mapfile -t COMPREPLY < <(compgen -W "8M 128M 1G 16G" -- "$cur")
    return ;;
  --kernel)
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return ;;
  -e | --execute)
    # The word after the last ';' is a command name when it stands first.
    local head=${cur%"${cur##*;}"} last=${cur##*;}
    local lead=${last%%[! ]*} word=${last#"${last%%[! ]*}"}
    if [[ $word != *" "* ]]; then
      local name
      COMPREPLY=()
      while read -r name; do
        [[ $name == "$word"* ]] && COMPREPLY+=("$head$lead$name")
      done < <(_sv39sim_commands "${COMP_WORDS[0]}")
    fi
    return ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -o filenames -F _sv39sim sv39sim
