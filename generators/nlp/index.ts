/** `yo mlportfolio:nlp`: the nlp project's definition on the shared Yeoman generator. */
import { projectGenerator } from '../../core/yeoman.js';
import definition from './definition.js';

export default projectGenerator(definition);
