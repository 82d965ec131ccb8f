fn main() { println!("{:?}", polaroid_bench::f()); }
