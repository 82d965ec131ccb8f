//! Test doubles for the harness itself (never for the thing a user measures): scripted durations and answers, plus
//! the failure modes the runner must record without stopping: a wrong answer, a memory hog for the cap, a hang for
//! the timeout, and an error.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use polars::prelude::*;

use crate::engines::{Engine, Input, Op, Output};
use crate::error::{Error, Result};

/// What a mock does when executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MockBehavior {
    /// Sleeps a scripted 2, 3, 4, 2, 3, 4... ms and returns a fixed answer.
    Correct,
    /// Like `Correct`, but returns a different answer.
    WrongAnswer,
    /// Allocates and touches memory, 32 MiB at a time up to 4 GiB, so a memory cap kills it.
    MemoryHog,
    /// Sleeps for an hour, so the timeout kills it.
    Hang,
    /// Returns an error.
    Fail,
}

impl MockBehavior {
    pub(crate) fn name(self) -> &'static str {
        match self {
            MockBehavior::Correct => "mock",
            MockBehavior::WrongAnswer => "mock-wrong-answer",
            MockBehavior::MemoryHog => "mock-memory-hog",
            MockBehavior::Hang => "mock-hang",
            MockBehavior::Fail => "mock-fail",
        }
    }

    pub(crate) fn about(self) -> &'static str {
        match self {
            MockBehavior::Correct => "harness test double: scripted 2-4 ms per op, fixed answer",
            MockBehavior::WrongAnswer => "harness test double: like mock, with a different answer",
            MockBehavior::MemoryHog => "harness test double: allocates until the memory cap kills it",
            MockBehavior::Hang => "harness test double: never finishes, for the timeout",
            MockBehavior::Fail => "harness test double: every op fails",
        }
    }
}

/// A scripted engine.
pub struct MockEngine {
    behavior: MockBehavior,
    calls: AtomicU64,
}

impl MockEngine {
    /// A mock with the given behavior.
    pub fn new(behavior: MockBehavior) -> Self {
        MockEngine { behavior, calls: AtomicU64::new(0) }
    }
}

impl Engine for MockEngine {
    fn execute(&self, _input: &Input, _op: &Op) -> Result<Output> {
        let call = self.calls.fetch_add(1, Ordering::Relaxed);
        let answer = |vwap: f64| -> Result<Output> {
            std::thread::sleep(Duration::from_millis(2 + call % 3));
            Ok(Output::Frames(vec![df!("symbol" => ["AAA", "BBB"], "vwap" => [vwap, 2.0])?]))
        };
        match self.behavior {
            MockBehavior::Correct => answer(1.0),
            MockBehavior::WrongAnswer => answer(1.5),
            MockBehavior::MemoryHog => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                for _ in 0..128 {
                    hoard.push(vec![1u8; 32 << 20]);
                }
                std::hint::black_box(&hoard);
                answer(1.0)
            }
            MockBehavior::Hang => {
                std::thread::sleep(Duration::from_secs(3600));
                answer(1.0)
            }
            MockBehavior::Fail => Err(Error::Scripted),
        }
    }
}
