//! Integration tests of the `sim` crate: whole runs on the `des` engine
//! (`runs`), each checker against hand-written histories (`checkers`), and
//! each fault kind shown to take effect (`faults`).

mod checkers;
mod detection;
mod engines;
mod faults;
mod history;
mod recorded;
mod runs;
