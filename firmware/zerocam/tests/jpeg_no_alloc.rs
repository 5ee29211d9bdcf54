//! Proves the per-frame path allocates nothing: drawing a card and encoding it, for every
//! input format, runs under an allocator that counts the allocations of this thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use zerocam::jpeg::{Frame, JpegEncoder, Pixels, Plane};
use zerocam::render::{MessageCard, TestCard};

struct CountingAllocator;

thread_local! {
    /// Only allocations made while this thread is measuring count, so the test harness's
    /// own threads cannot disturb the result. Const-initialised: reading it never allocates.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    if MEASURING.with(Cell::get) {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Runs `work` and returns how many allocations it made on this thread.
fn allocations_during(work: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|count| count.set(0));
    MEASURING.with(|measuring| measuring.set(true));
    work();
    MEASURING.with(|measuring| measuring.set(false));
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn the_counter_sees_allocations() {
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 100]))) >= 1);
}

#[test]
fn drawing_and_encoding_frames_does_not_allocate() {
    let (width, height) = (333u32, 251u32);
    let mut card = TestCard::new(width, height);
    let mut message = MessageCard::new(width, height);
    let encoder = JpegEncoder::new(85);
    let mut out = vec![0u8; 1 << 20];
    let mut tiny = vec![0u8; 300];
    let gray = vec![90u8; (width * height) as usize];
    let nv12_uv = vec![128u8; width.div_ceil(2) as usize * 2 * height.div_ceil(2) as usize];
    let yuyv = vec![100u8; width.div_ceil(2) as usize * 4 * height as usize];

    let mut results = Vec::with_capacity(64);
    let count = allocations_during(|| {
        for frame_number in 0..3 {
            card.draw(frame_number, 1_700_000_000_000_000 + frame_number * 33_333);
            results.push(encoder.encode_yuv420(card.image(), &mut out).map(|_| ()));
            results.push(encoder.encode(&card.image().frame(), &mut tiny).map(|_| ()));
        }
        message.draw("no camera: /dev/video0: No such device ünïcödé", 1_700_000_000_000_000);
        results.push(encoder.encode_yuv420(message.image(), &mut out).map(|_| ()));
        let frames = [
            Frame { width, height, pixels: Pixels::Gray(Plane::new(&gray, width as usize)) },
            Frame {
                width,
                height,
                pixels: Pixels::Nv12 {
                    y: Plane::new(&gray, width as usize),
                    uv: Plane::new(&nv12_uv, 2 * width.div_ceil(2) as usize),
                },
            },
            Frame { width, height, pixels: Pixels::Yuyv(Plane::new(&yuyv, 4 * width.div_ceil(2) as usize)) },
            Frame { width: 0, height, pixels: Pixels::Gray(Plane::new(&gray, width as usize)) },
        ];
        for frame in &frames {
            results.push(encoder.encode(frame, &mut out).map(|_| ()));
        }
    });
    assert_eq!(count, 0, "drawing or encoding allocated");
    // Successes, the OutputFull of the tiny buffer and the BadInput of the empty frame.
    let failures = results.iter().filter(|result| result.is_err()).count();
    assert_eq!((results.len(), failures), (11, 4));
}
