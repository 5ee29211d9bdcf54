#!/test/busybox sh
# One command from the host (busybox nc -e): pause | resume. vimc's test build stops and
# restarts its frames (ci/build-vimc); zerocam's libcamera source must notice.
read -r command
case $command in
pause) value=1 ;;
resume) value=0 ;;
*) echo "unknown command"; exit 1 ;;
esac
echo "$value" >/sys/module/vimc/parameters/paused && echo "ok $command" || echo "failed $command"
