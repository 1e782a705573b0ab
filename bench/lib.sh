# Helpers bench/suite.sh and bench/remote.sh share (sourced, not run).

# retire PATH...: files a run wrote are moved aside into $attic and deleted at the end:
# creating files soon after deleting tens of thousands costs ~0.45 ms each here
# (shared/MEASURING.md). A few files (large ones) go at once, for disk space. Needs $scratch
# and $attic.
retire() {
  local p
  for p; do
    [ -e "$p" ] || continue
    if [ "$(find "$p" -type f | head -n 1000 | wc -l)" -lt 1000 ]; then
      # Directories only: --link checkouts share read-only inodes with the store.
      find "$p" -type d ! -perm -u+w -exec chmod u+w {} +; rm -rf "$p"
    else
      mv "$p" "$attic/$(tr / _ <<< "${p#"$scratch"/}")"
    fi
  done
}

# median_min_max: whole numbers on stdin, separated by spaces or lines -> "median min max".
median_min_max() {
  tr ' ' '\n' | grep . | sort -n |
    awk '{a[NR]=$1} END {printf "%d %d %d", (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2, a[1], a[NR]}'
}

# copy_trees DIR SRC...: DIR holds a copy of each directory SRC that exists, named by its path
# (/usr/share -> usr_share), without symlinks: Lake refuses those that point outside the tree,
# so all go and every tool sees the same files.
copy_trees() {
  local dir=$1 s
  shift
  mkdir "$dir"
  for s; do [ -d "$s" ] && cp -a "$s" "$dir/$(tr / _ <<< "${s#/}")"; done
  find "$dir" -type l -delete
}

# copy_listed DIR LIST: DIR holds a copy of each file LIST names (lines "SIZE<tab>PATH"), as
# N-NAME in list order, exec bits cleared: artifacts are data, and checkout --link copies
# executables (a hard link would share the mode).
copy_listed() {
  local dir=$1 n=0 f
  mkdir "$dir"
  while IFS=$'\t' read -r _ f; do cp "$f" "$dir/$((n++))-$(basename "$f")"; done < "$2"
  chmod a-x "$dir"/*
}
