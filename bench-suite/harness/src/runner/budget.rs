//! `compare-run --budget`: after every measurement's first processes, pairs of processes (one a side, interleaved)
//! are added to the measurements whose time is still undecided, a look after each, until every one is decided, the
//! most processes the budget allows are reached, or the next pair would overrun the budget. Whether a measurement
//! is decided, and the boundary that keeps the false-alarm rate at its level over all the looks, are the gate's
//! (`polaroid_results::compare::sequential`); this file only runs processes.

use std::collections::BTreeMap;
use std::time::Instant;

use polaroid_results::compare::sequential::Design;
use polaroid_results::compare::{self, CompareOptions};
use polaroid_results::{Outcome, units};
use serde::Serialize;

use super::{Measured, Measuring, Plan, Side, SideState, add_processes, merge, message, save};
use crate::data::Dataset;
use crate::error::Result;

/// Processes per side before the first look, unless `--processes` says otherwise: the fewest a t-test of
/// per-process medians can use with two degrees of freedom.
pub const DEFAULT_INITIAL: usize = 3;

/// The most processes per side a budget plans for, however cheap a pair is.
pub const MAX_PROCESSES: usize = 60;

/// The sequential design's settings.
#[derive(Debug, Clone, Serialize)]
pub struct Budget {
    /// Seconds of measuring, the first processes included (data generation and calibration not).
    pub seconds: f64,
    /// The gate's settings: a measurement is decided by the same rule and floors `compare` applies.
    pub gate: CompareOptions,
}

/// A measurement's processes so far, per side, and what the last pair of them took.
pub(super) struct Kept {
    pub parts: Vec<Vec<Measured>>,
    pub pair_s: f64,
}

/// Adds pairs of processes to the undecided measurements (see the module comment), rewriting both result files
/// after each pair. The design (how many processes at most) is fixed from what a pair of every measurement took,
/// before any look, and written into both files first.
#[allow(clippy::too_many_arguments)]
pub(super) fn extend(ctx: &Measuring<'_>, budget: &Budget, plan: &Plan, datasets: &[Dataset], sides: &[Side], states: &mut [SideState], mut kept: BTreeMap<usize, Kept>, started: Instant) -> Result<()> {
    let initial = ctx.options.processes.unwrap_or(DEFAULT_INITIAL).max(1);
    let round_s: f64 = kept.values().map(|k| k.pair_s).sum();
    let left = budget.seconds - started.elapsed().as_secs_f64();
    let extra = if round_s > 0.0 && left > 0.0 { (left / round_s).floor() as usize } else { 0 };
    let design = Design { budget_s: budget.seconds, initial, max: (initial + extra).clamp(initial, MAX_PROCESSES.max(initial)) };
    for (state, side) in states.iter_mut().zip(sides) {
        if let Some(i) = state.result.provenance.interleaved.as_mut() {
            i.sequential = Some(design);
        }
        save(&mut state.result, &side.out)?;
    }
    message(
        ctx.observer,
        format!(
            "budget {}: {} spent; a pair of processes of every measurement takes {}, so at most {} processes a side",
            design.budget(),
            units::seconds(started.elapsed().as_secs_f64()),
            units::seconds(round_s),
            design.max
        ),
    );
    let mut n = initial;
    loop {
        let c = compare::compare(&states[0].result, &states[1].result, "base", "new", budget.gate.clone())?;
        let undecided: Vec<usize> = c
            .rows
            .iter()
            .filter(|r| r.time.as_ref().and_then(|t| t.look).is_some_and(|l| !l.decided))
            .filter_map(|r| plan.items.iter().position(|p| p.key == r.key))
            .filter(|i| kept.contains_key(i))
            .collect();
        let cost: f64 = undecided.iter().map(|i| kept[i].pair_s).sum();
        let stop = if undecided.is_empty() {
            Some(format!("every measurement decided with {n} processes a side or fewer"))
        } else if n >= design.max {
            Some(format!("{} measurement(s) undecided with the most processes the budget allows ({n} a side)", undecided.len()))
        } else if started.elapsed().as_secs_f64() + cost > budget.seconds {
            Some(format!("{} measurement(s) undecided when the budget was spent ({n} processes a side)", undecided.len()))
        } else {
            None
        };
        if let Some(why) = stop {
            message(ctx.observer, format!("budget: {why}"));
            return Ok(());
        }
        message(ctx.observer, format!("budget: {} measurement(s) undecided; process {} of each side ({} left)", undecided.len(), n + 1, units::seconds(budget.seconds - started.elapsed().as_secs_f64())));
        for index in undecided {
            let item = &plan.items[index];
            let k = kept.get_mut(&index).expect("only kept measurements are extended");
            let pair_started = Instant::now();
            add_processes(ctx, item, &datasets[item.dataset], sides, &[0, 1], &mut k.parts, n..n + 1)?;
            k.pair_s = pair_started.elapsed().as_secs_f64();
            for (i, (state, side)) in states.iter_mut().zip(sides).enumerate() {
                let (mut m, _) = merge(k.parts[i].clone());
                let at = state.result.measurements.iter().position(|x| x.key == item.key).expect("every kept measurement was saved");
                let before = &state.result.measurements[at];
                // Counted once, after the first processes; the answer was checked then, and merge held every added
                // process to the same answer.
                m.instructions = before.instructions.clone();
                if matches!(m.outcome, Outcome::Ok) {
                    m.answer_check = before.answer_check.clone();
                }
                state.result.measurements[at] = m;
                save(&mut state.result, &side.out)?;
            }
        }
        n += 1;
    }
}
