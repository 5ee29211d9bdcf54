//! Which ranges of which dmabufs to mmap so that every plane of a buffer is readable, each
//! file mapped once: mmap offsets must be page-aligned, plane offsets need not be.

use super::layout::PlaneLayout;

/// One mapping: `len` bytes of `fd` from the page-aligned `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    pub fd: i32,
    pub start: usize,
    pub len: usize,
}

/// The mappings for one buffer, and for each of its planes the mapping it lies in and the
/// plane's offset inside that mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapPlan {
    pub extents: heapless::Vec<Extent, 3>,
    pub planes: heapless::Vec<(usize, usize), 3>,
}

/// Groups the (two or three) planes by file; `page` is the system page size.
pub fn plan_maps(planes: &[PlaneLayout], page: usize) -> MapPlan {
    let page = page.max(1);
    let mut extents: heapless::Vec<Extent, 3> = heapless::Vec::new();
    for plane in planes.iter().take(3) {
        let start = plane.offset - plane.offset % page;
        let end = plane.offset + plane.len;
        match extents.iter_mut().find(|extent| extent.fd == plane.fd) {
            Some(extent) => {
                let extent_end = (extent.start + extent.len).max(end);
                extent.start = extent.start.min(start);
                extent.len = extent_end - extent.start;
            }
            // At most three planes (more are ignored), so at most three files.
            None => {
                let _ = extents.push(Extent { fd: plane.fd, start, len: end - start });
            }
        }
    }
    let locate = |plane: &PlaneLayout| {
        let index = extents.iter().position(|extent| extent.fd == plane.fd).unwrap_or(0);
        (index, plane.offset - extents.get(index).map_or(0, |extent| extent.start))
    };
    let planes = planes.iter().take(3).map(locate).collect();
    MapPlan { extents, planes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(fd: i32, offset: usize, len: usize) -> PlaneLayout {
        PlaneLayout { fd, offset, len, stride: 1 }
    }

    #[test]
    fn planes_of_one_dmabuf_share_one_mapping() {
        let planes = [plane(5, 0, 307_200), plane(5, 307_200, 76_800), plane(5, 384_000, 76_800)];
        let plan = plan_maps(&planes, 4096);
        assert_eq!(plan.extents.as_slice(), [Extent { fd: 5, start: 0, len: 460_800 }]);
        assert_eq!(plan.planes.as_slice(), [(0, 0), (0, 307_200), (0, 384_000)]);
    }

    #[test]
    fn unaligned_offsets_map_from_the_page_below() {
        let planes = [plane(3, 5000, 100), plane(4, 10, 50), plane(3, 9000, 100)];
        let plan = plan_maps(&planes, 4096);
        assert_eq!(
            plan.extents.as_slice(),
            [Extent { fd: 3, start: 4096, len: 9100 - 4096 }, Extent { fd: 4, start: 0, len: 60 }]
        );
        assert_eq!(plan.planes.as_slice(), [(0, 904), (1, 10), (0, 4904)]);
    }
}
