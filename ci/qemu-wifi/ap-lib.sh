# Shared by wifi-ap.sh and control.sh on the emulated board (busybox sh): the access point
# lives in a network namespace of its own, holding the second mac80211_hwsim radio (wlan1),
# so traffic between it and zerocam's wlan0 can only cross the simulated air.
bb=/test/wifi/busybox
run=/run/wifi-ap
ap_ip=192.168.50.1
# To the serial console (also from control.sh, whose output is the host's socket).
say() { echo "wifi-ap: $*" >/dev/console; }
# Runs a command inside the access point's namespace.
in_ap() { $bb nsenter -t "$($bb cat $run/netns.pid)" -n "$@"; }

# ap_start good|wrong: hostapd with the passphrase zerocam.toml has, or another one. It
# daemonizes once its interface is up (-B): its parent is then PID 1, which reaps it, and
# the pid file (-P) names hostapd itself. (A background job's $! would name the subshell
# around it, which outlives a SIGTERM while it waits for hostapd.)
ap_start() {
    ap_stop
    in_ap $bb ip link set wlan1 up
    in_ap /test/wifi/hostapd -B -P "$run/hostapd.pid" -f "$run/hostapd-$1.log" "/test/wifi/hostapd-$1.conf" </dev/null >/dev/null 2>&1 ||
        { say "hostapd did not start ($1 passphrase): $($bb tail -n 3 "$run/hostapd-$1.log")"; return 1; }
    # The daemon writes its pid file after its parent has returned.
    until [ -s "$run/hostapd.pid" ]; do $bb usleep 100000; done
    say "access point up ($1 passphrase, hostapd pid $($bb cat "$run/hostapd.pid"))"
}

# The access point goes away: hostapd stops (deauthenticating its station), the radio is off.
# hostapd is PID 1's child by then: it is gone only once zerocam has reaped it.
ap_stop() {
    [ -f "$run/hostapd.pid" ] || return 0
    pid=$($bb cat "$run/hostapd.pid")
    tries=0
    $bb kill "$pid" 2>/dev/null
    while $bb kill -0 "$pid" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -eq 100 ] || [ "$tries" -eq 200 ]; then
            say "hostapd (pid $pid) still there $((tries / 10)) s after SIGTERM: state $($bb cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)," \
                "$($bb grep PPid /proc/$pid/status), blocked signals $($bb sed -n 's/^SigBlk:\t//p' /proc/$pid/status)," \
                "waiting in $($bb cat /proc/$pid/wchan 2>/dev/null): SIGKILL"
            $bb kill -9 "$pid" 2>/dev/null
        fi
        if [ "$tries" -ge 300 ]; then
            say "hostapd (pid $pid) still there 30 s after SIGTERM (a zombie nobody reaps?)"
            return 1
        fi
        $bb usleep 100000
    done
    $bb rm -f "$run/hostapd.pid"
    in_ap $bb ip link set wlan1 down
    say "access point down"
}
