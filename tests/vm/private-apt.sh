# Sourced (bash) by tests/vm/fetch-kernel.sh and integrations/qemu/build.sh:
# apt with a private state under $APTDIR (sources, lists, cache), so that
# nothing of /etc/apt's sources, lists, pins or the dpkg status is read or
# written. Set APTDIR and APT_TIMEOUT first, then write the suites into
# $APTDIR/sources.list.d/NAME.sources and use apt_get and apt_cache.
mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" \
	"$APTDIR/cache/archives/partial" "$APTDIR/preferences.d"
APT_OPTS=(
	-o "Dir::Etc::SourceList=/dev/null"
	-o "Dir::Etc::SourceParts=$APTDIR/sources.list.d"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=$APTDIR/preferences.d"
	-o "Dir::State::Lists=$APTDIR/lists"
	-o "Dir::State::status=/dev/null"
	-o "Dir::Cache=$APTDIR/cache"
	-o "APT::Architecture=amd64"
	-o "Acquire::Languages=none"
)
if [ "$(id -u)" = 0 ]; then
	# apt drops to _apt for downloads; it could not write into root's cache.
	APT_OPTS+=(-o "APT::Sandbox::User=root")
fi

apt_get() { timeout "$APT_TIMEOUT" apt-get -q "${APT_OPTS[@]}" "$@"; }
apt_cache() { timeout "$APT_TIMEOUT" apt-cache "${APT_OPTS[@]}" "$@"; }
