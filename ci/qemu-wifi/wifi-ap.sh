#!/test/wifi/busybox sh
# The access point of the emulated Wi-Fi test, a [[system.helper]] of ci/qemu-wifi/zerocam-wifi.toml
# (busybox sh; ci/qemu-checks-wifi.sh adds /test/wifi to the initramfs of the test boot
# only, the image has no hostapd). Once mac80211_hwsim's radios exist (zerocam loads it with
# the Wi-Fi modules in the test boot) it moves the second radio into a network namespace
# and runs there: hostapd (Debian armel, WPA2-PSK), busybox udhcpd (one lease,
# 192.168.50.10), and in the board's own namespace two listeners QEMU forwards from the host:
#   8081  a TCP relay that connects from the access point's namespace to 192.168.50.10:80,
#         so the host fetches zerocam's stream across the Wi-Fi link;
#   8082  a control port: "down", "wrong", "up" take the access point away, bring it back
#         with another passphrase, or with the right one.
# Its lines go to the serial console, where ci/qemu-checks-wifi.sh reads them.
. /test/wifi/ap-lib.sh
$bb mkdir -p $run
say "waiting for the second radio (wlan1)"
tries=0
until [ -e /sys/class/net/wlan1 ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ]; then
        say "no second radio (wlan1) after 300 s: $($bb ls /sys/class/net | $bb tr '\n' ' ')"
        exec $bb sleep 1000000
    fi
    $bb sleep 1 # one fork a second: a faster poll starves the emulated CPU
done
phy=$($bb basename "$($bb readlink -f /sys/class/net/wlan1/phy80211)")
say "wlan1 is $phy; moving it into the access point's namespace"
# A process that only holds the new namespace; the radio is moved into it by pid.
$bb unshare -n $bb sleep 1000000 &
echo $! >$run/netns.pid
until [ "$($bb readlink /proc/$!/ns/net)" != "$($bb readlink /proc/self/ns/net)" ]; do $bb sleep 1; done
/test/wifi/iw phy "$phy" set netns "$!" || { say "cannot move $phy into the namespace"; exec $bb sleep 1000000; }
say "$phy moved"
in_ap $bb ip link set lo up
in_ap $bb ip addr add $ap_ip/24 dev wlan1
$bb touch $run/udhcpd.leases
in_ap $bb udhcpd -f /test/wifi/udhcpd.conf >$run/udhcpd.log 2>&1 &
ap_start good || exec $bb sleep 1000000
$bb nc -ll -p 8081 -e /test/wifi/relay.sh &
$bb nc -ll -p 8082 -e /test/wifi/control.sh &
say "ready: $phy in its own namespace as $ap_ip, relay on 8081, control on 8082"
# A helper that exits is restarted: stay.
exec $bb sleep 1000000
