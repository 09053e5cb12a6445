// The DR engine's entry points the watcher uses, behind one import, so its tests replace them in one place.
export { DrEngine } from '../../release/dr/engine';
export { decideWatch } from '../../release/dr/watch';
