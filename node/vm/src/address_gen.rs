//! How a new contract's address is chosen: wasmd's classic and predictable (instantiate2)
//! schemes. The arithmetic is in [`crate::address`].

pub(crate) enum AddressGen<'a> {
    /// From the code id and the global instance sequence.
    Classic,
    /// From checksum, creator and salt (and the init message when `fix_msg`).
    Predictable { salt: &'a [u8], fix_msg: bool },
}
