#!/bin/bash
# The demo (`make demo`, `.ci/demo`): a guest that keeps counting through a
# live update, told step by step. With a Live Update Orchestrator kernel and
# DEMO_KEXEC=KERNEL it updates this machine's kernel for real; otherwise it
# uses liveupdate-sim, the userspace simulator, and says so. Without
# /dev/kvm the cache example tells the same story with a key-value store.
# It shows the backing the library's memory helper chose (AUTO) and the
# manifest labels the memory is found by after the update. On the
# simulator the guest's update is a takeover by a new VMM process, then,
# for comparison, an exit and restart; each prints its blackout's parts.
# Exits 1 if the guest's (or the cache's) continuity broke.
#
#   examples/demo.sh [--builddir DIR]
#   DEMO_KEXEC=/boot/vmlinuz-X [DEMO_INITRD=/boot/initrd.img-X] examples/demo.sh
#   DEMO_STORY=cache examples/demo.sh     the cache's story even with KVM
set -u
builddir=.
[ "${1:-}" = --builddir ] && builddir=$2
builddir=$(cd "$builddir" && pwd) || exit 2
CTL=$builddir/tools/liveupdate-ctl
VMM=$builddir/examples/vmm/vmm
CACHE=$builddir/examples/cache/cache
SIM=$builddir/sim/liveupdate-sim
work=$(mktemp -d "${TMPDIR:-/tmp}/liveupdate-demo.XXXXXX") || exit 2
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "${LIBLIVEUPDATE_SIM_SOCKET:-}" ] && "$SIM" stop >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
unset LIBLIVEUPDATE_BACKEND

step=0
say() { printf '%s\n' "$@" | fold -s -w 78; }
step() {
	step=$((step + 1))
	printf '\n== Step %d of 5: %s ==\n' "$step" "$1"
	shift
	[ $# -gt 0 ] && say "$@"
	echo
}
# show FILE: print the lines of FILE not shown yet, indented.
declare -A shown
show() {
	local n
	n=$(wc -l <"$1")
	tail -n +$((${shown[$1]:-0} + 1)) "$1" | head -n $((n - ${shown[$1]:-0})) |
		grep -v '^libliveupdate: using the liveupdate-sim simulator' | sed 's/^/    | /'
	shown[$1]=$n
}
# wait_line FILE PATTERN: until FILE has a line matching PATTERN (10 s).
wait_line() {
	local n=0
	until grep -q -- "$2" "$1"; do
		n=$((n + 1))
		if [ $n -ge 100 ]; then
			show "$1"
			say "demo: FAILED: the program did not print '$2' within 10 s"
			exit 1
		fi
		sleep 0.1
	done
}
broken() {
	echo
	say "demo: FAILED: $*"
	exit 1
}

# --- Step 1: status ---------------------------------------------------------
step "can this machine do a kernel live update?" \
	"liveupdate-ctl status asks the kernel for /dev/liveupdate, the Live Update Orchestrator of Linux 6.19 and later, and says why not when it cannot:"
"$CTL" status | sed 's/^/    | /'
kernel_ok=${PIPESTATUS[0]}
[ "$kernel_ok" -le 1 ] || broken "liveupdate-ctl status failed (status $kernel_ok)"
echo
backend=sim
kvm=no
[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ -x "$VMM" ] && kvm=yes
[ "${DEMO_STORY:-}" = cache ] && kvm=asked-not
if [ "$kernel_ok" = 0 ] && [ -n "${DEMO_KEXEC:-}" ] && [ $kvm = yes ]; then
	backend=kernel
	say "This kernel can live update, and DEMO_KEXEC=$DEMO_KEXEC is set: the demo updates this machine's kernel for real. It reboots in step 3; run the demo again after the reboot to see steps 4 and 5."
elif [ "$kernel_ok" = 0 ]; then
	say "This kernel can live update, but a real update reboots this machine, so the demo uses the simulator instead. For the real thing:" \
		"    DEMO_KEXEC=/boot/vmlinuz-$(uname -r) DEMO_INITRD=/boot/initrd.img-$(uname -r) .ci/demo" \
		"and run .ci/demo again after the reboot."
else
	say "So this demo runs on liveupdate-sim, the userspace simulator of /dev/liveupdate: the same API and the same answers, errno for errno. It keeps preserved memory in RAM while a program restarts, which is what a VMM needs to upgrade itself in place. Nothing survives a real reboot with it."
fi
if [ $backend = sim ]; then
	LIBLIVEUPDATE_SIM_SOCKET=$work/sim/socket
	export LIBLIVEUPDATE_SIM_SOCKET LIBLIVEUPDATE_BACKEND=sim
	"$SIM" start --log "$work/sim.log" >/dev/null || broken "liveupdate-sim did not start"
	echo
	say "The simulator runs (a private one for this demo); liveupdate-ctl status through it:"
	"$CTL" status 2>/dev/null | sed 's/^/    | /'
fi

# --- The story with a KVM guest --------------------------------------------
# show_blackout FILE: the blackout line of FILE, indented.
show_blackout() {
	grep '^vmm: blackout' "$1" | sed 's/^vmm: /    /'
}
# paused_at FILE: the counter at the guest's last pause in FILE.
paused_at() {
	sed -n 's/.*paused the guest after it reported \([0-9]*\)[; ].*/\1/p' "$1" | tail -n 1
}
# resumes_right FILE LAST: FILE's guest went on from LAST + 1.
resumes_right() {
	local first
	first=$(sed -n 's/^guest: \([0-9]*\) follows.*/\1/p' "$1" | tail -n 1)
	[ -n "$first" ] && [ "$first" = $(($2 + 1)) ] ||
		{ show "$1"; broken "the guest stopped at $2 and came back at '${first:-nothing}'"; }
}

vmm_story() {
	local log=$work/vmm.out sock=$work/vmm.sock next=() listen=() last
	if [ $backend = kernel ]; then
		next=(--kexec "$DEMO_KEXEC" ${DEMO_INITRD:+--initrd "$DEMO_INITRD"})
	else
		listen=(--listen "$sock")
	fi

	step "a guest counts" \
		"examples/vmm is a small virtual machine monitor on KVM. Its guest, a few bytes of x86 code, adds 1 to a counter, keeps a running checksum of it in guest RAM and reports the counter to the VMM. The VMM checks every report: each must be the previous one plus 1." \
		"The guest RAM comes from the library's memory helper, asked for AUTO: the largest pages this kernel can preserve across an update (huge pages make preserving faster). The VMM prints which backing AUTO chose, and why."
	[ $backend = sim ] && say "While the guest runs, the VMM also makes its live update session, preserves the guest RAM in it and an empty state object for the vCPU, and listens on a Unix socket for a successor (--listen)."
	"$VMM" --name demo "${next[@]}" "${listen[@]}" >"$log" 2>&1 &
	pid=$!
	wait_line "$log" 'guest: counter'
	if grep -q 'resumed the guest' "$log"; then
		say "The VMM found its session from before the reboot:"
		show "$log"
		vmm_after "$log"
		return
	fi
	sleep 3
	show "$log"
	grep -q 'memory "guest-ram": .* chosen by the library (AUTO)' "$log" ||
		broken "the VMM did not say which memory backing AUTO chose"

	if [ $backend = kernel ]; then
		step "the update" "SIGUSR1 asks the VMM to update: it pauses the guest, writes its vCPU state into the state object preserved with the guest RAM in its live update session, and reboots into $DEMO_KEXEC. Run the demo again when the machine is back."
		kill -USR1 "$pid"
		wait "$pid"
		show "$log"
		broken "the VMM came back from the reboot it asked for (status $?)"
	fi
	step "the update: a new VMM takes the guest over" \
		"A new VMM process starts (here the same program; in real life its upgraded version) with --take-over: it creates its VM, vCPU and RAM slot first, then connects to the old one. Only then does the old VMM pause the guest, write the vCPU registers into the state object it preserved before, and hand its whole session to the new process with liveupdate_session_handover(): the session fd, the guest RAM, the state and the manifest, nothing copied. The new VMM receives it (liveupdate_session_receive), finds RAM and state by their labels \"guest-ram\" and \"vmm-state\", restores the vCPU and lets the guest run; the old one exits. The same code path goes on to a kernel update: the new VMM could kexec with this very session."
	"$VMM" --name demo --take-over "$sock" --listen "$sock" >"$log.2" 2>&1 &
	local new=$!
	wait "$pid"
	local rc=$?
	pid=$new
	show "$log"
	[ "$rc" = 0 ] || broken "the old VMM exited with status $rc during the takeover"
	grep -q 'handed it over to pid' "$log" || broken "the old VMM did not hand the guest over"
	last=$(paused_at "$log")
	wait_line "$log.2" 'guest: counter'
	resumes_right "$log.2" "$last"
	vmm_after "$log.2"
}

# Steps 4 and 5, in the VMM that resumed the guest ($1, $pid).
vmm_after() {
	local log=$1 backing rc last
	step "the guest goes on" \
		"The new VMM found the guest RAM and its state by label in the session's manifest (the lines under 'found by label': label, kind, size and the backing AUTO had chosen), checked the guest RAM's hash against the one taken at the pause, and the guest's first report is the next number: nothing lost, nothing repeated."
	sleep 2
	show "$log"
	grep -q 'no gap, no repeat' "$log" || broken "no proof of continuity in the VMM's output"
	grep -q 'guest RAM intact' "$log" || broken "no proof that guest RAM is intact"
	grep -q '"guest-ram": memory' "$log" && grep -q '"vmm-state": memory' "$log" ||
		broken "the VMM did not find guest-ram and vmm-state by label in the manifest"

	step "the blackout" \
		"How long the guest did not run, from the pause to its first report in the new VMM, and its parts:"
	show_blackout "$log"
	echo
	if [ $backend = sim ]; then
		say "pause stops the vCPU; state is writing its registers into the state object; handover is the session going to the new process; restore is finding RAM and state by label, mapping the RAM into the VM's slot made before the pause, and loading the registers; resume is the guest running until its first report. The RAM is never copied, and making the VM happened before the pause." \
			"" "For comparison, the same guest through a VMM exit and restart: SIGUSR1 makes the VMM pause the guest, leave the session to the simulator and exit; a new VMM then starts, retrieves the session and creates its VM inside the blackout:"
		kill -USR1 "$pid"
		wait "$pid"
		rc=$?
		pid=
		[ "$rc" = 0 ] || { show "$log"; broken "the VMM exited with status $rc at the restart"; }
		last=$(paused_at "$log")
		"$VMM" --name demo >"$log.3" 2>&1 &
		pid=$!
		wait_line "$log.3" 'guest: counter'
		resumes_right "$log.3" "$last"
		echo
		show_blackout "$log.3"
		echo
		log=$log.3
	else
		say "preserve and retrieve hand memory to the kernel and back; the reboot is the kexec and the new kernel's boot; restore is creating the VM again and loading the vCPU registers. The RAM is never copied."
	fi
	kill "$pid"
	wait "$pid"
	rc=$?
	pid=
	case $rc in
	0) ;;
	3) show "$log"; broken "the guest's continuity broke (see above)" ;;
	*) show "$log"; broken "the VMM exited with status $rc" ;;
	esac
	backing=$(sed -n 's/.*guest RAM intact: [0-9]* MiB of \([A-Za-z]*\),.*/\1/p' "$log" | tail -n 1)
	say "The guest RAM was ${backing:-?} memory, the backing AUTO chose: the kernel hands it over page by page, so huge pages (THP or HugeTLB, 2 MiB) preserve and retrieve with 512 times fewer entries than 4 KiB shmem pages."
}

# --- The story with the cache (no KVM) --------------------------------------
cache_story() {
	local log=$work/cache.out sock=$work/cache.sock before after t0 t1
	ask() { "$CACHE" --client --socket "$sock" "$@"; }

	step "a program holds data in memory" \
		"examples/cache is a key-value store whose table lives in memory from the library's memory helper (AUTO: the largest pages this kernel can preserve; the cache says which it got and why). It answers SET, GET, COUNT and UPDATE on a Unix socket."
	"$CACHE" --name demo --socket "$sock" >"$log" 2>&1 &
	pid=$!
	wait_line "$log" 'serving on'
	show "$log"
	awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "SET user%d session token %d\n", i, i * 7919 }' |
		ask >/dev/null || broken "the cache refused the keys"
	say "1000 keys stored. Asking the cache:"
	for q in "GET user42" COUNT; do echo "    > $q"; ask "$q" | sed 's/^/    < /'; done
	before=$(ask COUNT)

	step "the update" "UPDATE asks the cache to preserve its table in a live update session, labelled \"cache-data\" in the session's manifest, and exit; a new cache process (in real life, its upgraded version) finds the table by that label and takes it back."
	t0=$(date +%s%N)
	ask UPDATE | sed 's/^/    < /'
	wait "$pid"
	pid=
	"$CACHE" --name demo --socket "$sock" >"$log.2" 2>&1 &
	pid=$!
	wait_line "$log.2" 'serving on'
	after=$(ask COUNT)
	t1=$(date +%s%N)
	show "$log"
	show "$log.2"

	step "the data is still there" ""
	for q in "GET user42" COUNT; do echo "    > $q"; ask "$q" | sed 's/^/    < /'; done
	[ "$after" = "$before" ] || broken "before the update: $before; after: $after"
	kill "$pid"
	wait "$pid"
	pid=

	step "the blackout" "From the UPDATE request to the first answer of the new process: $(((t1 - t0) / 1000000)) ms, most of it starting a process. The table was not copied."
}

if [ $kvm = yes ]; then
	vmm_story
else
	echo
	if [ $kvm = asked-not ]; then
		say "DEMO_STORY=cache: the demo shows the cache example."
	elif [ ! -x "$VMM" ]; then
		say "examples/vmm is not built here (it needs x86-64), so the demo shows the cache example instead."
	else
		say "/dev/kvm is missing or not usable by $(id -un) here, so no virtual machine can run: the demo shows the cache example instead, a program whose data survives the update the same way."
	fi
	cache_story
fi
echo
say "demo: OK: continuity held through the live update."
