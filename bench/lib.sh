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
