//! CPU time of model work: the calling thread's own CPU clock, read around
//! a job, so that a decode or a synthesis is charged what it cost on the
//! cores rather than how long it waited (std has no thread CPU clock).

use std::time::Duration;

/// CPU time the calling thread has used since it started.
pub fn thread_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the
    // call, and CLOCK_THREAD_CPUTIME_ID is a clock every Linux kernel has.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

/// The CPU time one job on the calling thread costs: start it before the
/// job, read it after.
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    started: Duration,
}

impl CpuMeter {
    /// Starts measuring on the calling thread.
    pub fn start() -> Self {
        Self { started: thread_time() }
    }

    /// CPU time this thread used since [`CpuMeter::start`] (read on the
    /// same thread).
    pub fn elapsed(&self) -> Duration {
        thread_time().saturating_sub(self.started)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_work_is_charged_and_sleep_is_not() {
        let meter = CpuMeter::start();
        std::thread::sleep(Duration::from_millis(30));
        let asleep = meter.elapsed();
        let mut x = 0u64;
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let busy = meter.elapsed() - asleep;
        assert!(asleep < Duration::from_millis(10), "sleeping cost {asleep:?}");
        assert!(busy >= Duration::from_millis(15), "spinning 30 ms cost only {busy:?}");
    }
}
