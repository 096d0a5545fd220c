//! A test contract whose behaviour the test writes into each message, built as wasm here.
//!
//! - `execute(env, info, msg)`: stores `msg` under key `last`, then returns `msg` itself as its
//!   result — so the message *is* the `ContractResult<Response>` (`{"ok": {...}}` or
//!   `{"error": "..."}`), messages, attributes and data included;
//! - `sudo`, `migrate` and `query` return their message the same way (without writing);
//! - `reply(env, reply)`: stores the `Reply` it got under key `reply` and returns a fixed
//!   response with attribute `replied=yes` and data `replied`;
//! - `instantiate`: a fixed empty response.

use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, ExportKind, ExportSection, Function,
    FunctionSection, GlobalSection, GlobalType, ImportSection, Instruction as I, MemArg,
    MemorySection, MemoryType, Module, TypeSection, ValType,
};

const KEY_LAST: i32 = 1024;
const KEY_REPLY: i32 = 1036;
const INIT_REGION: i32 = 1048;
const REPLY_REGION: i32 = 1060;
const HEAP: i32 = 8192;

const INIT_JSON: &str = r#"{"ok":{"messages":[],"attributes":[],"events":[],"data":null}}"#;
const REPLY_JSON: &str = r#"{"ok":{"messages":[],"attributes":[{"key":"replied","value":"yes"}],"events":[],"data":"cmVwbGllZA=="}}"#;

fn region(offset: u32, len: u32) -> Vec<u8> {
    [offset, len, len]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

fn mem(offset: u64) -> MemArg {
    MemArg {
        offset,
        align: 2,
        memory_index: 0,
    }
}

pub fn echo_wasm() -> Vec<u8> {
    let i32s = |n: usize| vec![ValType::I32; n];
    let mut types = TypeSection::new();
    types.ty().function(i32s(1), i32s(1)); // 0 allocate
    types.ty().function(i32s(1), vec![]); // 1 deallocate
    types.ty().function(vec![], vec![]); // 2 interface_version_8
    types.ty().function(i32s(3), i32s(1)); // 3 instantiate, execute
    types.ty().function(i32s(2), i32s(1)); // 4 reply, query, sudo, migrate
    types.ty().function(i32s(2), vec![]); // 5 db_write

    let mut imports = ImportSection::new();
    imports.import("env", "db_write", EntityType::Function(5)); // func 0

    let mut functions = FunctionSection::new();
    for ty in [0, 1, 2, 3, 3, 4, 4, 4, 4] {
        functions.function(ty);
    }
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 17,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut globals = GlobalSection::new();
    globals.global(
        GlobalType {
            val_type: ValType::I32,
            mutable: true,
            shared: false,
        },
        &ConstExpr::i32_const(HEAP),
    );
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    for (i, name) in [
        "allocate",
        "deallocate",
        "interface_version_8",
        "instantiate",
        "execute",
        "reply",
        "query",
        "sudo",
        "migrate",
    ]
    .iter()
    .enumerate()
    {
        exports.export(name, ExportKind::Func, i as u32 + 1);
    }

    let mut code = CodeSection::new();
    // allocate(size): a bump allocator handing out a Region {offset, capacity, length}.
    let mut f = Function::new(vec![(1, ValType::I32)]);
    for ins in [
        I::GlobalGet(0),
        I::LocalSet(1),
        I::LocalGet(1),
        I::LocalGet(1),
        I::I32Const(12),
        I::I32Add,
        I::I32Store(mem(0)),
        I::LocalGet(1),
        I::LocalGet(0),
        I::I32Store(mem(4)),
        I::LocalGet(1),
        I::I32Const(0),
        I::I32Store(mem(8)),
        I::LocalGet(1),
        I::I32Const(12 + 7),
        I::I32Add,
        I::LocalGet(0),
        I::I32Add,
        I::I32Const(-8),
        I::I32And,
        I::GlobalSet(0),
        I::LocalGet(1),
        I::End,
    ] {
        f.instruction(&ins);
    }
    code.function(&f);
    let simple = |body: &[I]| {
        let mut f = Function::new(vec![]);
        for ins in body {
            f.instruction(ins);
        }
        f.instruction(&I::End);
        f
    };
    code.function(&simple(&[])); // deallocate
    code.function(&simple(&[])); // interface_version_8
    code.function(&simple(&[I::I32Const(INIT_REGION)])); // instantiate
    code.function(&simple(&[
        I::I32Const(KEY_LAST),
        I::LocalGet(2),
        I::Call(0),
        I::LocalGet(2),
    ])); // execute
    code.function(&simple(&[
        I::I32Const(KEY_REPLY),
        I::LocalGet(1),
        I::Call(0),
        I::I32Const(REPLY_REGION),
    ])); // reply
    for _ in 0..3 {
        code.function(&simple(&[I::LocalGet(1)])); // query, sudo, migrate
    }

    let mut data = DataSection::new();
    let mut put = |at: i32, bytes: Vec<u8>| {
        data.active(0, &ConstExpr::i32_const(at), bytes);
    };
    put(KEY_LAST, region(1100, 4));
    put(1100, b"last".to_vec());
    put(KEY_REPLY, region(1104, 5));
    put(1104, b"reply".to_vec());
    put(INIT_REGION, region(1200, INIT_JSON.len() as u32));
    put(1200, INIT_JSON.as_bytes().to_vec());
    put(REPLY_REGION, region(2048, REPLY_JSON.len() as u32));
    put(2048, REPLY_JSON.as_bytes().to_vec());

    let mut module = Module::new();
    module
        .section(&types)
        .section(&imports)
        .section(&functions)
        .section(&memories)
        .section(&globals)
        .section(&exports)
        .section(&code)
        .section(&data);
    module.finish()
}
