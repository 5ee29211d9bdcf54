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

# ap_start good|wrong: hostapd with the passphrase zerocam.toml has, or another one.
ap_start() {
    ap_stop
    in_ap $bb ip link set wlan1 up
    # Detached from the control socket (stdin) and from the caller: PID 1 reaps it.
    in_ap /test/wifi/hostapd "/test/wifi/hostapd-$1.conf" </dev/null >"$run/hostapd-$1.log" 2>&1 &
    echo $! >"$run/hostapd.pid"
    say "access point up ($1 passphrase)"
}

# The access point goes away: hostapd stops (deauthenticating its station), the radio is off.
ap_stop() {
    if [ -f "$run/hostapd.pid" ]; then
        $bb kill "$($bb cat $run/hostapd.pid)" 2>/dev/null
        while $bb kill -0 "$($bb cat $run/hostapd.pid)" 2>/dev/null; do $bb usleep 100000; done
        $bb rm -f "$run/hostapd.pid"
        in_ap $bb ip link set wlan1 down
        say "access point down"
    fi
}
