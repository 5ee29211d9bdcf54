#!/test/wifi/busybox sh
# One relayed connection (busybox nc -e): from the access point's namespace to zerocam's
# Wi-Fi address, which only the simulated radio link reaches.
. /test/wifi/ap-lib.sh
exec $bb nsenter -t "$($bb cat $run/netns.pid)" -n $bb nc 192.168.50.10 80
