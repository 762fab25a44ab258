//! The uncommitted part of the chain: blocks above the committed tip, by hash.

use crate::types::{Block, Hash, Height};
use std::collections::HashMap;

/// Blocks a node knows above its committed tip, plus the tip itself (the root of the tree).
#[derive(Clone, Debug)]
pub struct BlockTree {
    blocks: HashMap<Hash, Block>,
    root: Hash,
    root_height: Height,
}

impl BlockTree {
    /// A tree rooted at the committed block `root`.
    pub fn new(root: Block) -> Self {
        let hash = root.hash();
        let root_height = root.header.height;
        let mut blocks = HashMap::new();
        blocks.insert(hash, root);
        BlockTree { blocks, root: hash, root_height }
    }

    /// The committed tip.
    pub fn root(&self) -> &Block {
        &self.blocks[&self.root]
    }

    /// Height of the committed tip.
    pub fn root_height(&self) -> Height {
        self.root_height
    }

    /// A known block.
    pub fn get(&self, hash: &Hash) -> Option<&Block> {
        self.blocks.get(hash)
    }

    /// Whether the block is known.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.blocks.contains_key(hash)
    }

    /// Adds a block whose parent is known; returns false (and keeps nothing) otherwise.
    pub fn insert(&mut self, block: Block) -> bool {
        let parent_ok =
            self.blocks.get(&block.header.parent_hash).is_some_and(|p| p.header.height + 1 == block.header.height);
        if parent_ok && block.header.height > self.root_height {
            self.blocks.entry(block.hash()).or_insert(block);
            true
        } else {
            false
        }
    }

    /// The chain from just above the root up to and including `tip`, oldest first; None if `tip` does not
    /// descend from the root.
    pub fn chain_to(&self, tip: &Hash) -> Option<Vec<&Block>> {
        let mut out = Vec::new();
        let mut cur = *tip;
        while cur != self.root {
            let b = self.blocks.get(&cur)?;
            out.push(b);
            cur = b.header.parent_hash;
        }
        out.reverse();
        Some(out)
    }

    /// Makes `new_root` (a descendant of the root) the committed tip and drops every block that does not
    /// descend from it.
    pub fn advance_root(&mut self, new_root: &Hash) {
        let Some(root_block) = self.blocks.get(new_root) else { return };
        let root_height = root_block.header.height;
        let mut keep: HashMap<Hash, Block> = HashMap::new();
        let mut by_height: Vec<(Hash, Height)> =
            self.blocks.iter().map(|(h, b)| (*h, b.header.height)).filter(|(_, ht)| *ht >= root_height).collect();
        by_height.sort_by_key(|(_, ht)| *ht);
        for (hash, _) in by_height {
            let Some(b) = self.blocks.get(&hash) else { continue };
            if hash == *new_root || keep.contains_key(&b.header.parent_hash) {
                keep.insert(hash, b.clone());
            }
        }
        self.blocks = keep;
        self.root = *new_root;
        self.root_height = root_height;
    }

    /// Number of blocks held (root included).
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Never true: the root is always held.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}
