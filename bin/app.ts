#!/usr/bin/env node
import { buildReferenceApp } from '../lib/reference-app';

buildReferenceApp().app.synth();
