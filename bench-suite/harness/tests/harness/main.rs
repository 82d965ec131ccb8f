//! Integration tests of the harness, through the real binary. Topic modules; fixtures live in temp dirs; smoke
//! sizes; no timed assertions.

mod bad_input;
mod datagen;
mod gate;
mod instructions;
mod library;
mod measurement;
mod render;
mod streaming;
mod tables;
mod util;
mod workload_file;
