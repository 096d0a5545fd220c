//! Generates the provider API's messages and tonic client and server from `tessera/**.proto`,
//! compiled by protox (pure Rust, so no protoc on the build machine).

fn main() {
    let proto = "tessera/provider/v1/provider.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["."]).expect("compile the provider API protos");
    tonic_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)
        .expect("generate the provider API code");
}
