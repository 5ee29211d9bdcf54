# Sourced by ci/bench-jpeg-size and ci/bench-jpeg-insns: the raw YUYV 640x480 frames both
# encoders get. make_jpeg_frames DIR COUNT writes DIR/clip.yuyv (the first COUNT frames of
# the VGA clip) and DIR/card.yuyv (COUNT frames of a vivid-like test card: 75 % colour bars,
# text lines, a moving inset). Needs ffmpeg and fonts-dejavu-core.
JPEG_FRAMES_SIZE=640x480
JPEG_FRAMES_WIDTH=640
JPEG_FRAMES_HEIGHT=480

make_jpeg_frames() {
    local dir=$1 count=$2 clip=$REPO_ROOT/../shared/clips/vga-640x480-125f.mjpeg
    [ -f "$clip" ] || { echo "ci: $clip is missing" >&2; return 1; }
    ffmpeg -v error -i "$clip" -frames:v "$count" -vf format=yuyv422 -f rawvideo "$dir/clip.yuyv"
    local font=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf
    text() { echo "drawtext=fontfile=$font:fontsize=16:fontcolor=white:x=88:y=$1:text='$2'"; }
    ffmpeg -v error -f lavfi -i "pal75bars=s=$JPEG_FRAMES_SIZE:r=25" -f lavfi -i "testsrc2=s=320x120:r=25" \
        -filter_complex "[0][1]overlay=160:300,$(text 16 'Pixel Format\: YUYV  640x480  25 fps'),$(text 36 'Frame %{n}  Brightness 128  Contrast 128'),$(text 56 'Saturation 128  Hue 0  Gain 100'),format=yuyv422" \
        -frames:v "$count" -f rawvideo "$dir/card.yuyv"
}
