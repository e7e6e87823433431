//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/hack-pad/go-indexeddb/idb"

	"github.com/cones2web/cones2/wasm/library"
)

// The IndexedDB database: one store of subjects (residual files), one of gallery images. Each
// record is {id, meta: JSON text, data: bytes}: the JSON is the library package's record, the
// bytes are kept as a Uint8Array so IndexedDB stores them as binary.
const (
	dbName        = "cones2"
	dbVersion     = 1
	subjectsStore = "subjects"
	galleryStore  = "gallery"
)

type store struct {
	db *idb.Database
}

func openStore(ctx context.Context) (*store, error) {
	factory := js.Global().Get("indexedDB")
	if factory.IsUndefined() || factory.IsNull() {
		return nil, errors.New("this browser offers no IndexedDB here (a private window?)")
	}
	f, err := idb.WrapFactory(factory)
	if err != nil {
		return nil, err
	}
	req, err := f.Open(ctx, dbName, dbVersion, func(db *idb.Database, oldVersion, newVersion uint) error {
		for _, name := range []string{subjectsStore, galleryStore} {
			if _, err := db.CreateObjectStore(name, idb.ObjectStoreOptions{KeyPath: js.ValueOf("id")}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open the library database: %w", err)
	}
	db, err := req.Await(ctx)
	if err != nil {
		return nil, fmt.Errorf("open the library database: %w", err)
	}
	return &store{db: db}, nil
}

func record(id any, meta []byte, data []byte) js.Value {
	o := js.Global().Get("Object").New()
	o.Set("id", id)
	o.Set("meta", string(meta))
	o.Set("data", uint8Array(data))
	return o
}

// put writes one record and waits until the transaction has committed, so that a reported
// success is on disk.
func (s *store) put(ctx context.Context, storeName string, v js.Value) error {
	txn, err := s.db.Transaction(idb.TransactionReadWrite, storeName)
	if err != nil {
		return err
	}
	os, err := txn.ObjectStore(storeName)
	if err != nil {
		return err
	}
	if _, err := os.Put(v); err != nil {
		return err
	}
	return txn.Await(ctx)
}

func (s *store) delete(ctx context.Context, storeName string, id any) error {
	txn, err := s.db.Transaction(idb.TransactionReadWrite, storeName)
	if err != nil {
		return err
	}
	os, err := txn.ObjectStore(storeName)
	if err != nil {
		return err
	}
	if _, err := os.Delete(js.ValueOf(id)); err != nil {
		return err
	}
	return txn.Await(ctx)
}

// each calls fn with the meta text and data bytes of every record of a store.
func (s *store) each(ctx context.Context, storeName string, fn func(meta string, data []byte)) error {
	txn, err := s.db.Transaction(idb.TransactionReadOnly, storeName)
	if err != nil {
		return err
	}
	os, err := txn.ObjectStore(storeName)
	if err != nil {
		return err
	}
	req, err := os.OpenCursor(idb.CursorNext)
	if err != nil {
		return err
	}
	return req.Iter(ctx, func(c *idb.CursorWithValue) error {
		v, err := c.Value()
		if err != nil {
			return err
		}
		fn(v.Get("meta").String(), bytesOf(v.Get("data")))
		return nil
	})
}

func (s *store) putSubject(ctx context.Context, sub library.Subject) error {
	meta, err := sub.MarshalMeta()
	if err != nil {
		return err
	}
	if err := s.put(ctx, subjectsStore, record(sub.ID, meta, sub.Data)); err != nil {
		return fmt.Errorf("save subject %q: %w", sub.Word, err)
	}
	return nil
}

func (s *store) putItem(ctx context.Context, it library.Item) error {
	meta, err := it.MarshalMeta()
	if err != nil {
		return err
	}
	if err := s.put(ctx, galleryStore, record(float64(it.ID), meta, it.PNG)); err != nil {
		return fmt.Errorf("save image: %w", err)
	}
	return nil
}

// subjects reads the library; records that no longer decode are reported, not dropped silently.
func (s *store) subjects(ctx context.Context) ([]library.Subject, []error, error) {
	var out []library.Subject
	var bad []error
	err := s.each(ctx, subjectsStore, func(meta string, data []byte) {
		sub, err := library.UnmarshalSubject([]byte(meta), data)
		if err != nil {
			bad = append(bad, err)
			return
		}
		out = append(out, sub)
	})
	return out, bad, err
}

func (s *store) galleryItems(ctx context.Context) ([]library.Item, []error, error) {
	var out []library.Item
	var bad []error
	err := s.each(ctx, galleryStore, func(meta string, data []byte) {
		it, err := library.UnmarshalItem([]byte(meta), data)
		if err != nil {
			bad = append(bad, err)
			return
		}
		out = append(out, it)
	})
	return out, bad, err
}
