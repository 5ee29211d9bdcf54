#!/test/wifi/busybox sh
# One control command from the host (busybox nc -e): down | wrong | up.
. /test/wifi/ap-lib.sh
read -r command
case $command in
down) ap_stop ;;
wrong) ap_start wrong ;;
up) ap_start good ;;
*) echo "unknown command"; exit 1 ;;
esac && echo "ok $command" || echo "failed $command (the serial log says why)"
