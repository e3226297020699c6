#!/bin/sh
# The demo (make demo, .ci/demo) tells its story to the end and says OK:
# the KVM guest's where /dev/kvm works (a takeover by a new VMM, then an
# exit and restart, each with its blackout), the cache's otherwise, and
# the cache's on request. Each run uses a private liveupdate-sim of its own.
: "${top_srcdir:=.}" "${top_builddir:=.}"
for story in "" cache; do
	echo "--- DEMO_STORY=$story examples/demo.sh"
	out=$(DEMO_STORY=$story bash "$top_srcdir/examples/demo.sh" --builddir "$top_builddir" 2>&1)
	rc=$?
	echo "$out"
	[ $rc = 0 ] || { echo "FAIL: the demo exited $rc"; exit 1; }
	echo "$out" | grep -q '^== Step 5 of 5: the blackout ==$' || { echo "FAIL: no step 5"; exit 1; }
	echo "$out" | grep -q '^demo: OK: continuity held' || { echo "FAIL: no verdict"; exit 1; }
	if [ -z "$story" ] && echo "$out" | grep -q 'a new VMM takes the guest over'; then
		for how in takeover 'exit, restart and retrieve'; do
			echo "$out" | grep -q "^    blackout .* + handover .* ($how) + restore" ||
				{ echo "FAIL: no blackout of the $how"; exit 1; }
		done
	fi
done
