/* Encodes raw YUYV frames the way µStreamer's CPU encoder does, for ci/bench-jpeg-size:
 * each YUYV row is widened to full YCbCr 4:4:4 samples (both pixels of a pair share U and
 * V), handed to libjpeg(-turbo) as JCS_YCbCr after jpeg_set_defaults() and
 * jpeg_set_quality(q, TRUE). The defaults are what µStreamer gets: 4:2:0 subsampling,
 * the integer "islow" DCT, the standard Huffman tables (no optimize_coding).
 *
 * Usage: libjpeg-yuyv WIDTH HEIGHT QUALITY < frames.yuyv > frames.mjpeg
 * The JPEGs are written back to back (an MJPEG elementary stream ffmpeg can read); the frame
 * count and total bytes go to stderr as "frames N bytes B". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s WIDTH HEIGHT QUALITY < yuyv > mjpeg\n", argv[0]);
        return 2;
    }
    const int width = atoi(argv[1]), height = atoi(argv[2]), quality = atoi(argv[3]);
    if (width <= 0 || height <= 0 || width % 2 != 0 || quality < 1 || quality > 100) {
        fprintf(stderr, "libjpeg-yuyv: bad size %dx%d or quality %d\n", width, height, quality);
        return 2;
    }
    const size_t frame_bytes = (size_t)width * height * 2;
    unsigned char *frame = malloc(frame_bytes);
    unsigned char *row = malloc((size_t)width * 3);
    if (frame == NULL || row == NULL) {
        fprintf(stderr, "libjpeg-yuyv: out of memory\n");
        return 1;
    }
    unsigned long frames = 0, total = 0;
    while (fread(frame, 1, frame_bytes, stdin) == frame_bytes) {
        struct jpeg_compress_struct jpeg;
        struct jpeg_error_mgr error;
        unsigned char *out = NULL;
        unsigned long out_len = 0;
        jpeg.err = jpeg_std_error(&error);
        jpeg_create_compress(&jpeg);
        jpeg_mem_dest(&jpeg, &out, &out_len);
        jpeg.image_width = width;
        jpeg.image_height = height;
        jpeg.input_components = 3;
        jpeg.in_color_space = JCS_YCbCr;
        jpeg_set_defaults(&jpeg);
        jpeg_set_quality(&jpeg, quality, TRUE);
        jpeg_start_compress(&jpeg, TRUE);
        while (jpeg.next_scanline < jpeg.image_height) {
            const unsigned char *pairs = frame + (size_t)jpeg.next_scanline * width * 2;
            for (int x = 0; x < width; x += 2, pairs += 4) {
                unsigned char *left = row + x * 3;
                left[0] = pairs[0]; left[1] = pairs[1]; left[2] = pairs[3];
                left[3] = pairs[2]; left[4] = pairs[1]; left[5] = pairs[3];
            }
            JSAMPROW rows[1] = {row};
            jpeg_write_scanlines(&jpeg, rows, 1);
        }
        jpeg_finish_compress(&jpeg);
        jpeg_destroy_compress(&jpeg);
        if (fwrite(out, 1, out_len, stdout) != out_len) {
            fprintf(stderr, "libjpeg-yuyv: write failed\n");
            return 1;
        }
        free(out);
        frames++;
        total += out_len;
    }
    fprintf(stderr, "frames %lu bytes %lu\n", frames, total);
    free(frame);
    free(row);
    return frames > 0 ? 0 : 1;
}
